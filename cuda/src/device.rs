//! The GPU handle: context, stream, lazily loaded PTX modules, device facts, transfers, and
//! event-based timing.

use crate::error::{Error, Result};
use crate::kernel::{Kernel, KernelArgs};
use crate::launch::LaunchConfig;
use crate::ptx::Family;
use cust::context::Context;
use cust::device::{Device, DeviceAttribute};
use cust::event::{Event, EventFlags};
use cust::function::{BlockSize, GridSize};
use cust::memory::{AsyncCopyDestination, CopyDestination, DeviceBuffer, DeviceCopy};
use cust::module::Module;
use cust::stream::{Stream, StreamFlags};
use cust::CudaFlags;
use std::cell::OnceCell;
use std::fmt;

/// What the driver says about the device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Ordinal the driver gave the device.
    pub ordinal: u32,
    /// Marketing name, e.g. "NVIDIA H100 80GB HBM3".
    pub name: String,
    /// Compute capability (major, minor), e.g. (9, 0).
    pub compute_capability: (i32, i32),
    /// Global memory in bytes.
    pub total_memory: usize,
    /// Streaming multiprocessors.
    pub multiprocessors: u32,
    /// Static shared memory a block may use, in bytes.
    pub shared_memory_per_block: u32,
    /// CUDA version of the driver, as the driver encodes it (1000 * major + 10 * minor).
    pub driver_version: i32,
}

impl fmt::Display for DeviceInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "device {}: {} (sm_{}{}, {} SMs, {:.1} GiB, driver CUDA {}.{})",
            self.ordinal,
            self.name,
            self.compute_capability.0,
            self.compute_capability.1,
            self.multiprocessors,
            self.total_memory as f64 / (1u64 << 30) as f64,
            self.driver_version / 1000,
            (self.driver_version % 1000) / 10
        )
    }
}

/// One GPU, ready to run the lab's kernels: a context current on this thread, a stream, and
/// the PTX modules, each loaded the first time one of its kernels runs.
///
/// Create one per thread ([`Gpu::new`]); the context is the device's primary context, shared
/// by every `Gpu` of the process.
pub struct Gpu {
    info: DeviceInfo,
    modules: [OnceCell<Module>; 8],
    stream: Stream,
    // Dropped last: modules and stream belong to it.
    _context: Context,
}

impl Gpu {
    /// Initialises the driver and opens device 0. Fails with [`Error::NoDriver`] or
    /// [`Error::NoDevice`] on a machine without a usable GPU.
    pub fn new() -> Result<Gpu> {
        Gpu::with_ordinal(0)
    }

    /// Like [`Gpu::new`] for the device with the given ordinal.
    pub fn with_ordinal(ordinal: u32) -> Result<Gpu> {
        cust::init(CudaFlags::empty()).map_err(Error::from_init)?;
        let count = Device::num_devices().map_err(Error::from_init)?;
        if ordinal >= count {
            return Err(Error::NoDevice);
        }
        let device = Device::get_device(ordinal).map_err(Error::from_init)?;
        let drv = |during| move |source| Error::Driver { during, source };
        let attr = |a| device.get_attribute(a).map_err(drv("querying the device"));
        let info = DeviceInfo {
            ordinal,
            name: device.name().map_err(drv("querying the device name"))?,
            compute_capability: (
                attr(DeviceAttribute::ComputeCapabilityMajor)?,
                attr(DeviceAttribute::ComputeCapabilityMinor)?,
            ),
            total_memory: device.total_memory().map_err(drv("querying device memory"))?,
            multiprocessors: attr(DeviceAttribute::MultiprocessorCount)? as u32,
            shared_memory_per_block: attr(DeviceAttribute::MaxSharedMemoryPerBlock)? as u32,
            driver_version: cust::CudaApiVersion::get().map(|v| v.major() * 1000 + v.minor() * 10).unwrap_or(0),
        };
        let context = Context::new(device).map_err(drv("creating a context"))?;
        // A blocking stream (cust strips NON_BLOCKING anyway): it is ordered with the legacy default stream,
        // where cust's synchronous uploads and memsets run, so a kernel never sees a buffer
        // whose upload is still in flight.
        let stream = Stream::new(StreamFlags::DEFAULT, None).map_err(drv("creating a stream"))?;
        Ok(Gpu { info, modules: Default::default(), stream, _context: context })
    }

    /// Name, compute capability, memory and more.
    pub fn info(&self) -> &DeviceInfo {
        &self.info
    }

    /// The stream every launch of this handle goes to.
    pub fn stream(&self) -> &Stream {
        &self.stream
    }

    /// Loads (once) and returns a kernel file's module.
    pub fn module(&self, family: Family) -> Result<&Module> {
        let cell = &self.modules[family.index()];
        if let Some(m) = cell.get() {
            return Ok(m);
        }
        let module = Module::from_ptx(family.ptx(), &[])
            .map_err(|source| Error::PtxRejected { module: family.name(), source })?;
        Ok(cell.get_or_init(|| module))
    }

    /// Launches `kernel` with `args` on this handle's stream, asynchronously. This is the one
    /// place the crate calls `cuLaunchKernel`: the argument tuple's type is fixed by the
    /// kernel's declaration (see [`crate::kernel`]), so a wrong type or count does not compile.
    ///
    /// The launch returns before the kernel runs. Every later use of the buffers is ordered
    /// after it: the stream is a blocking stream (see [`Gpu::with_ordinal`]), so uploads,
    /// downloads and memsets on the legacy default stream wait for it, and freeing a
    /// `DeviceBuffer` (`cuMemFree`, like `cudaFree`) does not release memory that queued work
    /// still uses.
    ///
    /// # Safety
    /// Every device address in `args` must point into a live allocation, and the kernel, run
    /// with `cfg` and the sizes among `args`, must access only memory inside those
    /// allocations (for `float4` accesses, at 16-byte aligned addresses). The caller checks
    /// buffer lengths against the sizes it passes; the call sites' `SAFETY` comments say which.
    pub unsafe fn launch<Args: KernelArgs>(&self, kernel: Kernel<Args>, cfg: LaunchConfig, args: Args) -> Result<()> {
        let name = kernel.name();
        let module = self.module(kernel.family())?;
        let function = module.get_function(name).map_err(|source| Error::Launch { kernel: name, source })?;
        let grid = GridSize::xyz(cfg.grid.0, cfg.grid.1, cfg.grid.2);
        let block = BlockSize::xyz(cfg.block.0, cfg.block.1, cfg.block.2);
        args.with_addresses(|addresses| {
            // SAFETY: `addresses` holds one address per parameter of `name`, in order, each of a
            // value inside `args` (alive until this closure returns; `cuLaunchKernel` copies the
            // values before it returns). `Args` is the tuple `kernel` was declared with, which
            // the tests check against the `.cu` prototype (count, order, C types) and the PTX
            // (sizes, alignments), and `KernelParam` makes each value's layout that of its C
            // type. What the kernel then does with the device addresses is this function's
            // own contract, passed on to the caller.
            unsafe { self.stream.launch(&function, grid, block, cfg.shared_bytes, addresses) }
        })
        .map_err(|source| Error::Launch { kernel: name, source })
    }

    /// Waits for everything queued on the stream; a kernel fault surfaces here.
    pub fn synchronize(&self) -> Result<()> {
        self.stream.synchronize().map_err(|source| Error::Driver { during: "waiting for the stream", source })
    }

    /// Copies a host slice into a new device buffer.
    pub fn upload<T: DeviceCopy>(&self, data: &[T]) -> Result<DeviceBuffer<T>> {
        DeviceBuffer::from_slice(data).map_err(|source| Error::Memory { what: "upload", source })
    }

    /// A device buffer of `len` zeros.
    pub fn zeros(&self, len: usize) -> Result<DeviceBuffer<f32>> {
        DeviceBuffer::zeroed(len.max(1)).map_err(|source| Error::Memory { what: "allocation", source })
    }

    /// Waits for the stream, then copies a device buffer back to the host.
    pub fn download<T: DeviceCopy + Default + Clone>(&self, buf: &DeviceBuffer<T>) -> Result<Vec<T>> {
        self.synchronize()?;
        let mut host = vec![T::default(); buf.len()];
        buf.copy_to(&mut host[..]).map_err(|source| Error::Memory { what: "download", source })?;
        Ok(host)
    }

    /// Mean milliseconds per call of `work` (which queues work on [`Gpu::stream`]): one
    /// untimed warm-up call, then `iters` calls between two CUDA events, waiting for the stop
    /// event before reading the clock.
    pub fn time_ms(&self, iters: u32, mut work: impl FnMut() -> Result<()>) -> Result<f64> {
        let ev = |source| Error::Driver { during: "timing with events", source };
        work()?;
        self.synchronize()?;
        let start = Event::new(EventFlags::DEFAULT).map_err(ev)?;
        let stop = Event::new(EventFlags::DEFAULT).map_err(ev)?;
        start.record(&self.stream).map_err(ev)?;
        for _ in 0..iters.max(1) {
            work()?;
        }
        stop.record(&self.stream).map_err(ev)?;
        stop.synchronize().map_err(ev)?;
        let ms = stop.elapsed_time_f32(&start).map_err(ev)?;
        Ok(ms as f64 / iters.max(1) as f64)
    }

    /// Device-to-device copy bandwidth in GB/s (bytes read + bytes written, per second) for a
    /// copy of `bytes` bytes: the yardstick for memory-bound kernels.
    pub fn copy_bandwidth_gbs(&self, bytes: usize, iters: u32) -> Result<f64> {
        let n = bytes / 4;
        let src = self.zeros(n)?;
        let mut dst = self.zeros(n)?;
        let timed = self.time_ms(iters, || {
            // SAFETY: `dst` and `src` are distinct allocations of the same length (`zeros(n)`;
            // cust asserts equal lengths), nothing else reads or writes them, and both live
            // until this function returns, which is after the stream is synchronized below,
            // also when a copy or the timing failed part-way.
            unsafe { dst.async_copy_from(&src, &self.stream) }
                .map_err(|source| Error::Memory { what: "device-to-device copy", source })
        });
        let drained = self.synchronize();
        let ms = timed?;
        drained?;
        Ok(2.0 * (n * 4) as f64 / (ms * 1e-3) / 1e9)
    }
}
