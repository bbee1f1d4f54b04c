//! Launch-configuration arithmetic, kept free of the driver so it is tested without a GPU.

/// Grid and block dimensions (x, y, z) and dynamic shared memory of one kernel launch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LaunchConfig {
    /// Blocks in the grid.
    pub grid: (u32, u32, u32),
    /// Threads in a block.
    pub block: (u32, u32, u32),
    /// Dynamic shared memory in bytes (every kernel of the lab uses static shared memory: 0).
    pub shared_bytes: u32,
}

/// The largest grid.y and grid.z the hardware accepts.
pub const MAX_GRID_YZ: u32 = 65_535;
/// The largest number of threads in a block.
pub const MAX_BLOCK_THREADS: u32 = 1024;

/// `ceil(a / b)` for `b > 0`.
pub const fn ceil_div(a: usize, b: usize) -> usize {
    a.div_ceil(b)
}

/// Converts a size to the `int` the kernels take, panicking with the name when it does not fit.
pub fn to_i32(what: &str, value: usize) -> i32 {
    i32::try_from(value).unwrap_or_else(|_| panic!("{what} = {value} does not fit the kernels' 32-bit int"))
}

impl LaunchConfig {
    /// One thread per item, `block` threads per block, a 1-D grid just covering `n` (at least
    /// one block, so a launch over zero items is still valid).
    pub fn one_d(n: usize, block: u32) -> LaunchConfig {
        assert!(
            block > 0 && block <= MAX_BLOCK_THREADS,
            "launch: block of {block} threads is outside 1..={MAX_BLOCK_THREADS}"
        );
        let blocks = ceil_div(n.max(1), block as usize);
        let blocks =
            u32::try_from(blocks).unwrap_or_else(|_| panic!("launch: {n} items need {blocks} blocks, too many"));
        LaunchConfig { grid: (blocks, 1, 1), block: (block, 1, 1), shared_bytes: 0 }
    }

    /// A 2-D grid of `tile_x` x `tile_y` tiles covering `nx` x `ny` items, with the given block.
    pub fn tiles_2d(nx: usize, ny: usize, tile_x: usize, tile_y: usize, block: (u32, u32)) -> LaunchConfig {
        assert!(
            block.0 * block.1 <= MAX_BLOCK_THREADS,
            "launch: block {block:?} has more than {MAX_BLOCK_THREADS} threads"
        );
        let gx = ceil_div(nx.max(1), tile_x) as u32;
        let gy = ceil_div(ny.max(1), tile_y);
        assert!(gy <= MAX_GRID_YZ as usize, "launch: {gy} tile rows exceed grid.y's limit of {MAX_GRID_YZ}");
        LaunchConfig { grid: (gx, gy as u32, 1), block: (block.0, block.1, 1), shared_bytes: 0 }
    }

    /// Total threads launched.
    pub fn threads(&self) -> u64 {
        let g = self.grid.0 as u64 * self.grid.1 as u64 * self.grid.2 as u64;
        g * self.block.0 as u64 * self.block.1 as u64 * self.block.2 as u64
    }
}
