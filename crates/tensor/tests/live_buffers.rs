//! The live-buffer counter, alone in its own test binary so no other test allocates
//! concurrently and the counts are exact.

use kindling_tensor::{live_buffers, Tensor};

#[test]
fn buffers_are_counted_once_and_views_are_free() {
    let before = live_buffers();
    let a = Tensor::<f32>::zeros([4, 4]);
    let b = &a + 1.0; // one result buffer (the scalar operand is freed at once)
    assert_eq!(live_buffers(), before + 2);
    let views = [a.t(), a.reshape([16]), b.narrow(0, 1, 2), b.unsqueeze(0)];
    assert_eq!(live_buffers(), before + 2, "views share their buffer");
    let copy = views[0].contiguous(); // a transpose is not dense: this copies
    assert_eq!(live_buffers(), before + 3);
    drop((a, b, copy));
    assert_eq!(live_buffers(), before + 2, "views keep their buffers alive");
    drop(views);
    assert_eq!(live_buffers(), before);
}
