//! The fused recurrent op against the unrolled cells at awkward sizes, forward and every
//! gradient, in f32 and f64; and gradient checks of the fused op.
