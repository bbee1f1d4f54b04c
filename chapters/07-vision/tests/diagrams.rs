//! The sliding-window and im2col diagrams show what the library computes.

use ch07_vision::diagrams::{
    im2col_diagram, im2col_example, product, sliding_window_diagram,
    sliding_window_example,
};
use ch07_vision::solutions;
use chapter_kit::diagram::{check_well_formed, labels};

/// True when `run` appears, in order and without gaps, among `labels`.
fn contains_run(labels: &[String], run: &[f32]) -> bool {
    let run: Vec<String> = run.iter().map(|v| v.to_string()).collect();
    labels.windows(run.len()).any(|w| w == run.as_slice())
}

#[test]
fn every_output_of_the_sliding_window_is_the_sum_of_its_padded_window() {
    let s = sliding_window_example();
    assert_eq!(s.out_size, (s.n + 2 * s.padding - s.k) / s.stride + 1);
    let at = |r: isize, c: isize| {
        let (r, c) = (r - s.padding as isize, c - s.padding as isize);
        let inside =
            (0..s.n as isize).contains(&r) && (0..s.n as isize).contains(&c);
        if inside {
            s.input[r as usize * s.n + c as usize]
        } else {
            0.0
        }
    };
    for i in 0..s.out_size {
        for j in 0..s.out_size {
            let (r0, c0) = ((i * s.stride) as isize, (j * s.stride) as isize);
            let mut sum = 0.0;
            for u in 0..s.k as isize {
                for v in 0..s.k as isize {
                    sum += at(r0 + u, c0 + v);
                }
            }
            assert_eq!(s.output[i * s.out_size + j], sum, "output ({i}, {j})");
        }
    }
}

#[test]
fn the_sliding_window_diagram_shows_the_library_output_and_its_settings() {
    let s = sliding_window_example();
    let svg = sliding_window_diagram(&s);
    assert_eq!(check_well_formed(&svg), Ok(()));
    let labels = labels(&svg);
    assert!(contains_run(&labels, &s.output), "{labels:?}");
    assert!(contains_run(&labels, &s.input[..s.n]), "{labels:?}");
    for expected in [
        "output 3 × 3, stride 2",
        "input 5 × 5, padding 1 (the grey zeros)",
        "⌊(5 + 2·1 − 3) / 2⌋ + 1 = 3",
    ] {
        assert!(
            labels.iter().any(|l| l == expected),
            "{expected} is not in {labels:?}"
        );
    }
}

#[test]
fn the_im2col_diagram_columns_are_the_library_im2col_and_the_product_is_the_convolution(
) {
    let e = im2col_example();
    // The library's im2col agrees with the chapter's own (the exercise's solution).
    assert_eq!(e.cols, solutions::im2col(&e.image, (1, 4, 4), 3, 0, 1));
    // W · cols is the convolution.
    assert_eq!(product(&e), e.output);
    let svg = im2col_diagram(&e);
    assert_eq!(check_well_formed(&svg), Ok(()));
    let labels = labels(&svg);
    assert!(
        contains_run(&labels, &e.cols),
        "cols are not drawn row by row: {labels:?}"
    );
    assert!(
        contains_run(&labels, &e.kernels),
        "W is not drawn row by row: {labels:?}"
    );
    assert!(
        contains_run(&labels, &e.output),
        "Y is not drawn row by row: {labels:?}"
    );
}
