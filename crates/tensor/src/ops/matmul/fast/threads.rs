//! How v5 cuts C into rectangles for the rayon pool, and the pointer that carries them.

use super::kernels::MicroKernel;

#[derive(Clone, Copy)]
pub(super) struct SendPtr<T>(pub(super) *mut T);
impl<T> SendPtr<T> {
    /// A method, so closures capture the whole `SendPtr` rather than its `!Send` field.
    pub(super) fn get(self) -> *mut T {
        self.0
    }
}
// SAFETY: only used to hand disjoint rectangles of one buffer to rayon threads (see above).
unsafe impl<T: Send> Send for SendPtr<T> {}
// SAFETY: as above; the pointer itself is only copied, never dereferenced through `&SendPtr`.
unsafe impl<T: Send> Sync for SendPtr<T> {}

/// Part `t` of `len` when split into `parts` ranges that start on multiples of `align`.
pub(super) fn split_range(len: usize, align: usize, parts: usize, t: usize) -> std::ops::Range<usize> {
    let blocks = len.div_ceil(align);
    let start = (blocks * t / parts * align).min(len);
    let end = (blocks * (t + 1) / parts * align).min(len);
    start..end
}

/// Each thread gets up to this many rectangles: rayon hands them out as threads free up, so a
/// core slowed by other work on the machine takes fewer (a static one-per-thread split runs
/// at the pace of the slowest core).
const OVERSPLIT: usize = 2;
/// No rectangle smaller than this many multiply-adds (~5 µs on one core). Small on purpose:
/// a sleeping rayon worker takes microseconds to wake, and if the caller has already run
/// every rectangle by then the worker goes back to sleep, call after call (seen at 128³:
/// 110 instead of 190 GFLOP/s on 2 threads). Several short rectangles leave it work to find.
const MIN_PART_MACS: usize = 1 << 18;

/// How to cut C into `tm × tn` rectangles for `threads` threads.
///
/// For each candidate count (threads × 1..=OVERSPLIT) the best factorization is the one with
/// the least work per rectangle: padded tiles, plus the rows of A it reads (packed, or in
/// place when row-major, which costs more) and the panels of B it packs (see `drive`). The most rectangles whose total work stays
/// within 5% of the one-per-thread split wins.
pub(super) fn thread_grid<K: MicroKernel>(
    m: usize,
    n: usize,
    k: usize,
    threads: usize,
    a_row_major: bool,
    (b_row_stride, b_col_stride): (usize, usize),
) -> (usize, usize) {
    // Packing one element costs about as much as this many tile multiply-adds.
    const PACK_COST: usize = 8;
    // Reading A in place next to a B that each rectangle packs for itself (a transposed
    // weight, a wide row stride) costs more per element than packing A: fitted to the MLP's
    // x·Wᵀ (128×784·784×256) on two threads, splitting the rows (each thread half of A and
    // its own packed copy of all of B) took 165-185 µs against 238-244 for the column split
    // the model chose while A in place counted as free. With B read in place too (square
    // products), the column splits stay: there the row split measured slower in
    // `kindling bench matmul` (256³: 182-228 against 272-278 GFLOP/s).
    const IN_PLACE_A_COST: usize = 24;
    if threads <= 1 {
        return (1, 1);
    }
    let (mp, np) = (m.div_ceil(K::MR), n.div_ceil(K::NR));
    let best_for = |parts: usize| {
        let mut best: Option<(usize, usize, usize)> = None;
        for tm in (1..=parts).filter(|&tm| parts.is_multiple_of(tm)) {
            let tn = parts / tm;
            if tm > mp || tn > np {
                continue;
            }
            let (rows, cols) = (mp.div_ceil(tm) * K::MR, np.div_ceil(tn) * K::NR);
            let b_in_place = super::reads_b_in_place::<K>(rows, k, b_row_stride, b_col_stride);
            let a_cost = match (a_row_major, b_in_place) {
                (false, _) => PACK_COST,
                (true, false) => IN_PLACE_A_COST,
                (true, true) => 0,
            };
            let pack_b = if b_in_place { 0 } else { cols };
            let total = parts * (rows * cols + a_cost * rows + PACK_COST * pack_b);
            if best.is_none_or(|b| total < b.2) {
                best = Some((tm, tn, total));
            }
        }
        best
    };
    let Some(base) = best_for(threads) else {
        // Fewer tiles than threads in both directions: one rectangle per row of tiles.
        return (mp.min(threads), 1);
    };
    let max_parts = threads * OVERSPLIT.min((m * n * k / MIN_PART_MACS / threads).max(1));
    let mut choice = base;
    for parts in (2 * threads..=max_parts).step_by(threads) {
        if let Some(c) = best_for(parts) {
            if c.2 * 100 <= base.2 * 105 {
                choice = c;
            }
        }
    }
    (choice.0, choice.1)
}
