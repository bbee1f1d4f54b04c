//! The kernel cache: rows of K (Kᵢⱼ = k(xᵢ, xⱼ)) kept under a byte budget, the least
//! recently used row evicted first, as libsvm's `Cache`.
//!
//! SMO asks for two rows per iteration (the working pair), and the same rows come back again
//! and again (the free support vectors), so a cache turns most requests into lookups. A miss
//! computes the missing rows of the pair together, as one block through the GEMM.

use super::kernel::{KernelFn, Rows};
use super::smo::KernelRows;

/// K for one binary subproblem, rows computed on demand and cached.
pub(crate) struct CachedRows<'a> {
    kernel: KernelFn,
    x: Rows<'a>,
    /// `x` transposed, for the GEMM.
    x_t: Vec<f64>,
    diag: Vec<f64>,
    rows: Vec<Option<Box<[f64]>>>,
    /// When each row was last asked for (a counter, larger = more recent).
    last_used: Vec<u64>,
    clock: u64,
    /// How many more rows fit in the budget.
    room: usize,
    /// Kernel rows computed (misses), for the book's cache statistics.
    pub computed: usize,
}

impl<'a> CachedRows<'a> {
    /// `x`: the subproblem's rows; `budget_bytes`: the cache size (at least two rows are
    /// always kept, whatever the budget).
    pub fn new(kernel: KernelFn, x: Rows<'a>, budget_bytes: f64) -> Self {
        let l = x.rows;
        let diag = (0..l).map(|i| kernel.value(x.row(i), x.row(i))).collect();
        let row_bytes = (l.max(1) * std::mem::size_of::<f64>()) as f64;
        let room = ((budget_bytes / row_bytes) as usize).max(2);
        let x_t = x.transposed();
        CachedRows { kernel, x, x_t, diag, rows: vec![None; l], last_used: vec![0; l], clock: 0, room, computed: 0 }
    }

    /// Makes sure the listed rows are present (computing the missing ones as one block) and
    /// marks them used.
    fn ensure(&mut self, wanted: &[usize]) {
        let missing: Vec<usize> = wanted.iter().copied().filter(|&i| self.rows[i].is_none()).collect();
        for &i in wanted {
            self.clock += 1;
            self.last_used[i] = self.clock;
        }
        if missing.is_empty() {
            return;
        }
        while self.room < missing.len() {
            self.evict(wanted);
        }
        let l = self.x.rows;
        let mut block = vec![0.0; missing.len() * l];
        self.kernel.rows_of(&self.x, &missing, &self.x, &self.x_t, &mut block);
        for (&i, chunk) in missing.iter().zip(block.chunks(l)) {
            self.rows[i] = Some(chunk.into());
            self.room -= 1;
        }
        self.computed += missing.len();
    }

    /// Drops the least recently used row that is not wanted now.
    fn evict(&mut self, keep: &[usize]) {
        let victim = (0..self.rows.len())
            .filter(|i| self.rows[*i].is_some() && !keep.contains(i))
            .min_by_key(|&i| self.last_used[i])
            .expect("the cache holds at least two rows, so one not in the pair can go");
        self.rows[victim] = None;
        self.room += 1;
    }
}

impl KernelRows for CachedRows<'_> {
    fn len(&self) -> usize {
        self.x.rows
    }

    fn diag(&self) -> &[f64] {
        &self.diag
    }

    fn row(&mut self, i: usize) -> &[f64] {
        self.ensure(&[i]);
        self.rows[i].as_deref().expect("ensured")
    }

    fn pair(&mut self, i: usize, j: usize) -> (&[f64], &[f64]) {
        self.ensure(&[i, j]);
        (self.rows[i].as_deref().expect("ensured"), self.rows[j].as_deref().expect("ensured"))
    }
}
