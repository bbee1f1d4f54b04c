//! Matmul throughput table (GFLOP/s per version).
