//! Softmax, log-softmax and logsumexp along one axis, computed stably (the max is subtracted
//! before exponentiating, so large logits do not overflow).

pub mod fast;
pub mod naive;
