//! The strides diagram shows the layouts the library gives `x` and `x.t()`.

use ch01_tensors::diagrams::{position, strides_diagram};
use ch01_tensors::views_share_storage;
use chapter_kit::diagram::{check_well_formed, labels};

#[test]
fn the_strides_diagram_labels_are_the_views_real_shapes_strides_and_steps() {
    let svg = strides_diagram();
    assert_eq!(check_well_formed(&svg), Ok(()));
    let labels = labels(&svg);
    let has = |s: &str| labels.iter().any(|l| l == s);
    let views = views_share_storage();
    for (name, t) in &views[..2] {
        let (shape, strides) = (t.shape(), t.strides());
        assert!(has(&format!("{name}: shape {shape:?}")), "{name}: {labels:?}");
        let layout = format!("strides {strides:?}, offset {}", t.offset());
        assert!(
            labels.iter().any(|l| l.starts_with(&layout)),
            "{name}: {labels:?}"
        );
        assert!(has(&format!("j + 1: +{}", strides[1])), "{name}: {labels:?}");
        assert!(has(&format!("i + 1: +{}", strides[0])), "{name}: {labels:?}");
    }
    // The numbers the chapter's text states, as the library makes them.
    assert!(has("strides [3, 1], offset 0 (contiguous)"));
    assert!(has("strides [1, 3], offset 0 (not contiguous)"));
    assert!(has("x[1, 2] is at 0 + 1·3 + 2·1 = 5"));
    assert!(has("x.t()[2, 1] is at 0 + 2·1 + 1·3 = 5"));
}

#[test]
fn positions_are_the_offset_plus_index_times_strides_and_read_the_element() {
    let views = views_share_storage();
    let buffer = views[0].1.to_vec();
    for (name, t) in &views[..2] {
        for i in 0..t.shape()[0] {
            for j in 0..t.shape()[1] {
                let p = position(t, &[i, j]);
                assert_eq!(
                    p,
                    t.offset() + i * t.strides()[0] + j * t.strides()[1],
                    "{name}"
                );
                assert_eq!(buffer[p], t.get(&[i, j]), "{name}[{i}, {j}]");
            }
        }
    }
}
