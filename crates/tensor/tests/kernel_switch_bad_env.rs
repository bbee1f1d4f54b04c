//! A misspelt `KINDLING_KERNELS` is refused with a message that lists the valid values. Alone
//! in its own binary: the variable is read once per process.

#[test]
#[should_panic(expected = "KINDLING_KERNELS=\"fastest\": expected \"naive\" or \"fast\"")]
fn a_misspelt_mode_is_refused() {
    std::env::set_var(kindling_tensor::KERNELS_ENV, "fastest");
    kindling_tensor::kernel_mode();
}
