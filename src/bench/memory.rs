//! Memory-bound kernels throughput table (GB/s).
