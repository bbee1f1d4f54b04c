//! The naive/fast switch: the environment variable, the process-wide call and the scoped
//! override. Alone in its own binary because it changes process-wide state.

use kindling_tensor::{kernel_mode, set_kernel_mode, with_kernel_mode, KernelMode, Tensor};

#[test]
fn env_var_then_api_then_scope() {
    // Read once, on first use; this binary has made no tensor op before this line.
    std::env::set_var(kindling_tensor::KERNELS_ENV, "naive");
    assert_eq!(kernel_mode(), KernelMode::Naive);

    set_kernel_mode(KernelMode::Fast);
    assert_eq!(kernel_mode(), KernelMode::Fast);

    let inside = with_kernel_mode(KernelMode::Naive, || {
        // Another thread does not see this thread's scope.
        let other = std::thread::spawn(kernel_mode).join().unwrap();
        (kernel_mode(), other)
    });
    assert_eq!(inside, (KernelMode::Naive, KernelMode::Fast));
    assert_eq!(kernel_mode(), KernelMode::Fast, "the scope restores the mode");

    // Both modes give the same answer.
    let x = Tensor::<f64>::arange(12.0).reshape([3, 4]);
    let naive = with_kernel_mode(KernelMode::Naive, || x.matmul(&x.t()).softmax(-1));
    kindling_tensor::assert_close(&x.matmul(&x.t()).softmax(-1), &naive, kindling_tensor::Tolerance::STRICT);
}
