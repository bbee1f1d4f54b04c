//! Typed kernel signatures: each kernel of `kernels/*.cu` is declared once, with its parameters'
//! names and Rust types, as a [`Kernel<Args>`] constant, and [`Gpu::launch`] takes an `Args`
//! tuple for it. An argument of the wrong type, or one too many or too few, does not compile.
//!
//! The driver's `cuLaunchKernel` takes the arguments as an untyped `void**`: one address per
//! parameter, each pointing at a value laid out as the parameter's C type. That array is built
//! in one place, [`KernelArgs::with_addresses`], and handed to the driver in one place,
//! [`Gpu::launch`].
//!
//! Each Rust parameter type says which C type it stands for ([`KernelParam::c_type`]), so the
//! tests check every declaration against the `.cu` prototype (names, count, order and C types)
//! and against the compiled PTX (each parameter's size and alignment). A declaration reads like
//! its prototype:
//!
//! ```text
//! extern "C" __global__ void fill_f32(float* out, float value, int n)    // kernels/reduce.cu
//! pub const FILL_F32 = fill_f32(out: DevicePtrMut<f32>, value: f32, n: i32);  // src/kernels/reduce.rs
//! ```
//!
//! A launch then names the kernel and passes a tuple:
//!
//! ```no_run
//! use kindling_cuda::kernel::DevicePtrMut;
//! use kindling_cuda::kernels::reduce::FILL_F32;
//! use kindling_cuda::{Gpu, LaunchConfig};
//! # fn main() -> kindling_cuda::Result<()> {
//! let gpu = Gpu::new()?;
//! let mut out = gpu.zeros(8)?;
//! // SAFETY: fill_f32 writes out[i] for i < n = 8 only, and `out` holds 8 floats.
//! unsafe { gpu.launch(FILL_F32, LaunchConfig::one_d(8, 32), (DevicePtrMut::of(&mut out), 1.5f32, 8i32))? };
//! assert_eq!(gpu.download(&out)?, vec![1.5; 8]);
//! # Ok(())
//! # }
//! ```
//!
//! The same launch with `n` as a `usize` (the kernel's `int` is an `i32`) is rejected:
//!
//! ```compile_fail
//! # use kindling_cuda::kernel::DevicePtrMut;
//! # use kindling_cuda::kernels::reduce::FILL_F32;
//! # use kindling_cuda::{Gpu, LaunchConfig};
//! # fn main() -> kindling_cuda::Result<()> {
//! # let gpu = Gpu::new()?;
//! # let mut out = gpu.zeros(8)?;
//! unsafe { gpu.launch(FILL_F32, LaunchConfig::one_d(8, 32), (DevicePtrMut::of(&mut out), 1.5f32, 8usize))? };
//! # Ok(())
//! # }
//! ```
//!
//! and so is a launch that forgets an argument:
//!
//! ```compile_fail
//! # use kindling_cuda::kernel::DevicePtrMut;
//! # use kindling_cuda::kernels::reduce::FILL_F32;
//! # use kindling_cuda::{Gpu, LaunchConfig};
//! # fn main() -> kindling_cuda::Result<()> {
//! # let gpu = Gpu::new()?;
//! # let mut out = gpu.zeros(8)?;
//! unsafe { gpu.launch(FILL_F32, LaunchConfig::one_d(8, 32), (DevicePtrMut::of(&mut out), 8i32))? };
//! # Ok(())
//! # }
//! ```
//!
//! What types cannot say is how much memory a kernel touches through its pointers: that
//! depends on the sizes among the arguments and on the launch configuration. So
//! [`Gpu::launch`] stays `unsafe`, and each call site says in a `SAFETY` comment which length
//! checks cover the kernel's accesses.
//!
//! [`Gpu::launch`]: crate::Gpu::launch

use crate::ptx::Family;
use cust::memory::{DeviceBuffer, DeviceCopy};
use std::ffi::c_void;
use std::fmt;
use std::marker::PhantomData;
use std::mem::{align_of, size_of};

/// An element type a kernel's pointer parameters point at.
///
/// # Safety
/// `C_NAME` must name a C type with the size and alignment of `Self` (the kernel indexes the
/// buffer in units of that C type, so a wrong size would walk past the end of the buffer).
pub unsafe trait CScalar: DeviceCopy {
    /// The C type, e.g. `"float"`.
    const C_NAME: &'static str;
}

// SAFETY: `f32` is an IEEE-754 binary32, 4 bytes aligned to 4, which is CUDA's `float`.
unsafe impl CScalar for f32 {
    const C_NAME: &'static str = "float";
}

// SAFETY: `i32` is a 4-byte two's-complement integer aligned to 4, which is CUDA's `int`.
unsafe impl CScalar for i32 {
    const C_NAME: &'static str = "int";
}

/// A Rust type that stands for one C parameter type of a kernel.
///
/// # Safety
/// The driver copies a kernel parameter bytewise from the Rust value, as many bytes as the C
/// parameter has. So `Self` must have the size, alignment and bit layout of the C type that
/// [`KernelParam::c_type`] names, and every bit pattern of `Self` must be a valid value of it.
pub unsafe trait KernelParam: Copy {
    /// The C type as the `.cu` prototypes spell it, e.g. `"const float*"` or `"int"`.
    fn c_type() -> String;
}

// SAFETY: `i32` is CUDA's `int`: 4 bytes, aligned to 4, every bit pattern valid.
unsafe impl KernelParam for i32 {
    fn c_type() -> String {
        "int".into()
    }
}

// SAFETY: `f32` is CUDA's `float`: IEEE-754 binary32, 4 bytes aligned to 4.
unsafe impl KernelParam for f32 {
    fn c_type() -> String {
        "float".into()
    }
}

/// The device address of a buffer the kernel only reads: a C `const T*` parameter.
///
/// It is a plain address (`Copy`, no lifetime): a launch is asynchronous, so a borrow would
/// end before the kernel runs anyway. What keeps the memory alive is the stream order
/// described at [`Gpu::launch`](crate::Gpu::launch).
#[repr(transparent)]
pub struct DevicePtr<T> {
    addr: u64,
    elem: PhantomData<fn() -> T>,
}

/// The device address of a buffer the kernel writes: a C `T*` parameter. Made from a `&mut`
/// borrow, so no other argument of the same call can alias it through a safe borrow.
#[repr(transparent)]
pub struct DevicePtrMut<T> {
    addr: u64,
    elem: PhantomData<fn() -> T>,
}

impl<T: DeviceCopy> DevicePtr<T> {
    /// The address of the first element of `buf`.
    pub fn of(buf: &DeviceBuffer<T>) -> Self {
        DevicePtr { addr: buf.as_device_ptr().as_raw(), elem: PhantomData }
    }

    /// The address `count` elements further on. Computing it touches no memory; whether the
    /// kernel may read there is the launch's safety contract.
    pub fn offset(self, count: usize) -> Self {
        DevicePtr { addr: self.addr + (count * size_of::<T>()) as u64, elem: PhantomData }
    }

    /// The raw device address.
    pub fn addr(self) -> u64 {
        self.addr
    }
}

impl<T: DeviceCopy> DevicePtrMut<T> {
    /// The address of the first element of `buf`.
    pub fn of(buf: &mut DeviceBuffer<T>) -> Self {
        DevicePtrMut { addr: buf.as_device_ptr().as_raw(), elem: PhantomData }
    }

    /// The address `count` elements further on (see [`DevicePtr::offset`]).
    pub fn offset(self, count: usize) -> Self {
        DevicePtrMut { addr: self.addr + (count * size_of::<T>()) as u64, elem: PhantomData }
    }

    /// The same address, for a later kernel that only reads what this one wrote (as `*mut T`
    /// converts to `*const T`).
    pub fn as_const(self) -> DevicePtr<T> {
        DevicePtr { addr: self.addr, elem: PhantomData }
    }

    /// The raw device address.
    pub fn addr(self) -> u64 {
        self.addr
    }
}

// Hand-written so that `T` itself need not be `Clone`, `Copy` or `Debug`.
impl<T> Clone for DevicePtr<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for DevicePtr<T> {}
impl<T> Clone for DevicePtrMut<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for DevicePtrMut<T> {}
impl<T> fmt::Debug for DevicePtr<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DevicePtr({:#x})", self.addr)
    }
}
impl<T> fmt::Debug for DevicePtrMut<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DevicePtrMut({:#x})", self.addr)
    }
}

// SAFETY: `#[repr(transparent)]` over a `u64`, the 64-bit device address (`CUdeviceptr`) that a
// pointer parameter holds (`.param .u64` in the PTX); `CScalar` makes the pointee's C name
// match `T`, so the kernel's `const T*` indexes the buffer in units of `T`.
unsafe impl<T: CScalar> KernelParam for DevicePtr<T> {
    fn c_type() -> String {
        format!("const {}*", T::C_NAME)
    }
}

// SAFETY: as for `DevicePtr<T>`: a transparent `u64` device address, pointee named by `CScalar`.
unsafe impl<T: CScalar> KernelParam for DevicePtrMut<T> {
    fn c_type() -> String {
        format!("{}*", T::C_NAME)
    }
}

/// The argument list of a kernel: a tuple of [`KernelParam`]s, in the order of the C
/// parameters. Implemented for tuples of one to nine parameters.
pub trait KernelArgs: Copy {
    /// The C type of each parameter, in order.
    fn c_types() -> Vec<String>;

    /// Size and alignment in bytes of each parameter, in order.
    fn layouts() -> Vec<(usize, usize)>;

    /// Calls `launch` with the address of each argument, in order: the `void**` array that
    /// `cuLaunchKernel` reads the parameters from. The addresses point into `self`, so they are
    /// valid until `launch` returns.
    fn with_addresses<R>(&self, launch: impl FnOnce(&[*mut c_void]) -> R) -> R;
}

/// Implements [`KernelArgs`] for the tuple of the given type parameters (`$i` is each one's
/// field index). Taking an address is safe; only the driver reading through it is not.
macro_rules! impl_kernel_args {
    ($($P:ident $i:tt),+) => {
        impl<$($P: KernelParam),+> KernelArgs for ($($P,)+) {
            fn c_types() -> Vec<String> {
                vec![$($P::c_type()),+]
            }

            fn layouts() -> Vec<(usize, usize)> {
                vec![$((size_of::<$P>(), align_of::<$P>())),+]
            }

            fn with_addresses<R>(&self, launch: impl FnOnce(&[*mut c_void]) -> R) -> R {
                launch(&[$(&self.$i as *const $P as *mut c_void),+])
            }
        }
    };
}

impl_kernel_args!(A 0);
impl_kernel_args!(A 0, B 1);
impl_kernel_args!(A 0, B 1, C 2);
impl_kernel_args!(A 0, B 1, C 2, D 3);
impl_kernel_args!(A 0, B 1, C 2, D 3, E 4);
impl_kernel_args!(A 0, B 1, C 2, D 3, E 4, F 5);
impl_kernel_args!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
impl_kernel_args!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
impl_kernel_args!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);

/// One kernel entry point and the Rust types of its parameters (`Args`, a tuple).
///
/// Only this crate declares kernels (with its `declare_kernels!` macro), and tests check each
/// declaration against its `.cu` prototype and its PTX entry.
pub struct Kernel<Args> {
    family: Family,
    name: &'static str,
    params: &'static [&'static str],
    args: PhantomData<fn(Args)>,
}

impl<Args> Clone for Kernel<Args> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<Args> Copy for Kernel<Args> {}

impl<Args: KernelArgs> Kernel<Args> {
    /// Declares `name` in `family`'s kernel file with the given parameter names; use
    /// `declare_kernels!`, which writes this call.
    pub(crate) const fn new(family: Family, name: &'static str, params: &'static [&'static str]) -> Self {
        Kernel { family, name, params, args: PhantomData }
    }

    /// The kernel file it lives in.
    pub fn family(&self) -> Family {
        self.family
    }

    /// The entry point name, as in the `.cu` file and the PTX.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The declaration with its types spelled out, for checks and listings.
    pub fn signature(&self) -> Signature {
        Signature {
            family: self.family,
            name: self.name,
            params: self.params.to_vec(),
            c_types: Args::c_types(),
            layouts: Args::layouts(),
        }
    }
}

impl<Args> fmt::Debug for Kernel<Args> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.name, self.params.join(", "))
    }
}

/// A kernel declaration with its types spelled out as data (the `Args` tuple erased), so the
/// declarations of a family can be listed and compared with the `.cu` file and the PTX.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    /// The kernel file.
    pub family: Family,
    /// The entry point.
    pub name: &'static str,
    /// Parameter names, as in the `.cu` prototype.
    pub params: Vec<&'static str>,
    /// Parameter C types, e.g. `"const float*"`.
    pub c_types: Vec<String>,
    /// Size and alignment in bytes of each parameter's Rust type.
    pub layouts: Vec<(usize, usize)>,
}

/// Declares the kernels of one `.cu` file as [`Kernel`] constants, each written like its C
/// prototype, and a `signatures()` function listing them:
///
/// ```text
/// declare_kernels! {
///     family: Reduce;
///     /// Sets `out[..n]` to `value`.
///     pub const FILL_F32 = fill_f32(out: DevicePtrMut<f32>, value: f32, n: i32);
/// }
/// ```
macro_rules! declare_kernels {
    (
        family: $family:ident;
        $(
            $(#[$doc:meta])*
            pub const $konst:ident = $name:ident($($param:ident: $ty:ty),+ $(,)?);
        )+
    ) => {
        $(
            $(#[$doc])*
            #[doc = ""]
            #[doc = concat!("`", stringify!($name), "(", stringify!($($param: $ty),+), ")`")]
            pub const $konst: $crate::kernel::Kernel<($($ty,)+)> = $crate::kernel::Kernel::new(
                $crate::ptx::Family::$family,
                stringify!($name),
                &[$(stringify!($param)),+],
            );
        )+

        /// Every kernel this module declares, for the checks against the `.cu` file and PTX.
        pub fn signatures() -> Vec<$crate::kernel::Signature> {
            vec![$($konst.signature()),+]
        }
    };
}
pub(crate) use declare_kernels;
