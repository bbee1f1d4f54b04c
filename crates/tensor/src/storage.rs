//! The flat buffer a tensor's elements live in, shared between views behind an `Arc`.

use crate::device::Device;
use crate::dtype::Element;
use std::sync::atomic::{AtomicUsize, Ordering};

static LIVE_BUFFERS: AtomicUsize = AtomicUsize::new(0);

/// How many tensor buffers are alive in this process right now.
///
/// Views share a buffer, so they do not count; every op result that allocates does. Autograd's
/// tests use this to prove that `backward()` frees the graph's intermediate buffers.
pub fn live_buffers() -> usize {
    LIVE_BUFFERS.load(Ordering::SeqCst)
}

pub(crate) struct Storage<T: Element> {
    data: Vec<T>,
    device: Device,
}

impl<T: Element> Storage<T> {
    pub(crate) fn cpu(data: Vec<T>) -> Self {
        LIVE_BUFFERS.fetch_add(1, Ordering::SeqCst);
        Storage { data, device: Device::Cpu }
    }

    #[inline]
    pub(crate) fn as_slice(&self) -> &[T] {
        &self.data
    }

    #[inline]
    pub(crate) fn as_mut_slice(&mut self) -> &mut [T] {
        &mut self.data
    }

    pub(crate) fn device(&self) -> Device {
        self.device
    }
}

impl<T: Element> Clone for Storage<T> {
    fn clone(&self) -> Self {
        LIVE_BUFFERS.fetch_add(1, Ordering::SeqCst);
        Storage { data: self.data.clone(), device: self.device }
    }
}

impl<T: Element> Drop for Storage<T> {
    fn drop(&mut self) {
        LIVE_BUFFERS.fetch_sub(1, Ordering::SeqCst);
    }
}
