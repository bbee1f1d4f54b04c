//! Measuring the attention kernel's memory: a counting allocator and the peak extra
//! bytes of one forward and backward pass through `kindling_autograd::attention`.
//!
//! The counters only move when [`CountingAlloc`] is the program's global allocator,
//! as in the chapter's demo: `#[global_allocator] static ALLOC: CountingAlloc =
//! CountingAlloc;`.

use kindling_autograd::{attention, Variable};
use kindling_tensor::attention::AttentionConfig;
use kindling_tensor::{
    release_cached_buffers, with_kernel_mode, KernelMode, Rng, Tensor,
};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, counting the bytes live now and their peak.
pub struct CountingAlloc;

// SAFETY: every call is forwarded to the system allocator unchanged; only counters
// are added.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's layout goes to the system allocator as it came.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now =
                CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` above with this layout, as the caller
        // guarantees.
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

/// What one measured pass cost.
#[derive(Clone, Copy, Debug)]
pub struct PassCost {
    /// The largest number of bytes allocated at once beyond the inputs.
    pub peak_bytes: usize,
    /// Wall time of the pass.
    pub seconds: f64,
}

/// Causal self-attention forward and backward on q, k, v `[1, heads, context,
/// head_dim]` f32 with the given kernels; the peak is counted from after the inputs
/// exist, with the tensor crate's buffer cache emptied first (what the pass frees
/// and reuses counts once).
pub fn attention_pass(
    mode: KernelMode,
    heads: usize,
    context: usize,
    head_dim: usize,
) -> PassCost {
    let mut rng = Rng::seed(0);
    let mut input = || {
        Variable::param(Tensor::<f32>::randn(
            [1, heads, context, head_dim],
            &mut rng,
        ))
    };
    let (q, k, v) = (input(), input(), input());
    // Buffers an earlier pass left in the tensor crate's cache would be reused
    // silently and hide this pass's needs: start from an empty cache.
    release_cached_buffers();
    let baseline = CURRENT.load(Ordering::Relaxed);
    PEAK.store(baseline, Ordering::Relaxed);
    let start = Instant::now();
    with_kernel_mode(mode, || {
        let out = attention::scaled_dot_product_attention(
            &q,
            &k,
            &v,
            &AttentionConfig::causal(),
        );
        out.sum_all().backward();
    });
    let seconds = start.elapsed().as_secs_f64();
    PassCost {
        peak_bytes: PEAK.load(Ordering::Relaxed).saturating_sub(baseline),
        seconds,
    }
}
