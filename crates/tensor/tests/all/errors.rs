//! Programming mistakes panic with a message naming the operation and the shapes involved
//! (DESIGN.md, "Errors"). Each test pins one message.

use kindling_tensor::{Axes, Tensor};

fn m(rows: usize, cols: usize) -> Tensor<f32> {
    Tensor::zeros([rows, cols])
}

#[test]
#[should_panic(expected = "matmul: cannot multiply [2, 3] by [4, 5]: inner dimensions 3 and 4 differ")]
fn matmul_inner_dimensions() {
    m(2, 3).matmul(&m(4, 5));
}

#[test]
#[should_panic(expected = "matmul: shapes [2] and [3] cannot be broadcast")]
fn matmul_batch_axes() {
    Tensor::<f32>::zeros([2, 1, 1]).matmul(&Tensor::zeros([3, 1, 1]));
}

#[test]
#[should_panic(expected = "matmul: both operands need at least one axis, got shapes [] and [3]")]
fn matmul_scalar() {
    Tensor::scalar(1.0f32).matmul(&Tensor::zeros([3]));
}

#[test]
#[should_panic(expected = "add: shapes [2, 3] and [2] cannot be broadcast: sizes 3 and 2 differ at axis 1")]
fn add_broadcast() {
    let _ = m(2, 3) + Tensor::zeros([2]);
}

#[test]
#[should_panic(expected = "mul_assign: the result shape [2, 3] differs from the left operand's [3]")]
fn in_place_cannot_grow() {
    let mut x = Tensor::<f32>::zeros([3]);
    x *= &m(2, 3);
}

#[test]
#[should_panic(expected = "from_vec: 5 values cannot fill shape [2, 3] (6 elements)")]
fn from_vec_length() {
    Tensor::from_vec(vec![0.0f32; 5], [2, 3]);
}

#[test]
#[should_panic(expected = "reshape: cannot reshape a tensor of shape [2, 3] (6 elements) into [4, 2] (8 elements)")]
fn reshape_count() {
    m(2, 3).reshape([4, 2]);
}

#[test]
#[should_panic(expected = "reshape: cannot infer the -1 in [-1, 4] for a tensor of shape [2, 3] (6 elements)")]
fn reshape_infer() {
    m(2, 3).reshape([-1, 4]);
}

#[test]
#[should_panic(expected = "sum: axis 2 is out of range for a tensor of shape [2, 3] (rank 2, valid axes -2..=1)")]
fn reduction_axis() {
    m(2, 3).sum(2, false);
}

#[test]
#[should_panic(expected = "sum: axes [1, -1] name the same axis twice (shape [2, 3])")]
fn repeated_axes() {
    m(2, 3).sum([1, -1], false);
}

#[test]
#[should_panic(expected = "max: cannot reduce over an empty axis (shape [0, 3])")]
fn max_of_nothing() {
    m(0, 3).max(0, false);
}

#[test]
#[should_panic(expected = "softmax: axis -3 is out of range for a tensor of shape [2, 3]")]
fn softmax_axis() {
    m(2, 3).softmax(-3);
}

#[test]
#[should_panic(expected = "permute: [0, 0] is not a permutation of the 2 axes of shape [2, 3]")]
fn permute_not_a_permutation() {
    m(2, 3).permute([0, 0]);
}

#[test]
#[should_panic(expected = "squeeze: axis 0 of shape [2, 3] has size 2, not 1")]
fn squeeze_non_unit() {
    m(2, 3).squeeze(0);
}

#[test]
#[should_panic(expected = "narrow: range 2..4 is out of bounds for axis 1 of size 3 (shape [2, 3])")]
fn narrow_bounds() {
    m(2, 3).narrow(1, 2, 2);
}

#[test]
#[should_panic(expected = "broadcast_to: cannot broadcast shape [2, 3] to [4, 3]: size 2 at axis 0 is neither 4 nor 1")]
fn expand_non_unit() {
    m(2, 3).broadcast_to([4, 3]);
}

#[test]
#[should_panic(expected = "cat: shapes [2, 3] and [2, 4] differ outside axis 0")]
fn cat_shapes() {
    Tensor::cat(&[&m(2, 3), &m(2, 4)], 0);
}

#[test]
#[should_panic(expected = "stack: shapes [2, 3] and [3, 2] differ")]
fn stack_shapes() {
    Tensor::stack(&[&m(2, 3), &m(3, 2)], 0);
}

#[test]
#[should_panic(expected = "index_select: index 3 is out of range for axis 1 of size 3 (shape [2, 3])")]
fn index_out_of_range() {
    m(2, 3).index_select(1, &Tensor::from([0i64, 3]));
}

#[test]
#[should_panic(expected = "gather: index of shape [3, 1] does not fit input of shape [2, 3] along axis 1")]
fn gather_shape() {
    m(2, 3).gather(1, &Tensor::zeros([3, 1]));
}

#[test]
#[should_panic(expected = "masked_fill: shapes [2, 3] and [4] cannot be broadcast")]
fn mask_shape() {
    m(2, 3).masked_fill(&Tensor::full([4], true), 0.0);
}

#[test]
#[should_panic(expected = "item: only a tensor with exactly one element has an item, but shape [2, 3] has 6")]
fn item_of_many() {
    m(2, 3).item();
}

#[test]
#[should_panic(expected = "get: index [2, 0] is out of range for shape [2, 3]")]
fn get_out_of_range() {
    m(2, 3).get(&[2, 0]);
}

#[test]
#[should_panic(expected = "dot: expects two 1-D tensors of the same length, got shapes [3] and [4]")]
fn dot_lengths() {
    Tensor::<f32>::zeros([3]).dot(&Tensor::zeros([4]));
}

#[test]
#[should_panic(expected = "t: expects a matrix (rank 2), got shape [2, 3, 4]")]
fn t_of_3d() {
    Tensor::<f32>::zeros([2, 3, 4]).t();
}

#[test]
#[should_panic(expected = "clamp: min 3 is greater than max 1")]
fn clamp_bounds() {
    m(1, 1).clamp(3.0, 1.0);
}

#[test]
#[should_panic(expected = "mean: axis 5 is out of range")]
fn mean_axis() {
    m(2, 3).mean(Axes::from(5), false);
}

#[test]
#[should_panic(expected = "slice_scatter: src of shape [2, 2] does not match the slice of shape [2, 3] (input [2, 3])")]
fn slice_scatter_shape() {
    m(2, 3).slice_scatter(&m(2, 2), 1, 0, 3, 1);
}

#[test]
#[should_panic(expected = "index_add: expects a 1-D index and src of shape [2, 2], got index [2] and src [2, 3]")]
fn index_add_shape() {
    m(2, 3).index_add(1, &Tensor::from([0i64, 1]), &m(2, 3));
}

// ----- creation and randomness ---------------------------------------------------------------

#[test]
#[should_panic(expected = "arange: step must not be zero (start 0, end 5)")]
fn arange_zero_step() {
    Tensor::<i64>::arange_step(0, 5, 0);
}

#[test]
#[should_panic(expected = "bernoulli: probability 1.5 is outside [0, 1]")]
fn bernoulli_probability() {
    Tensor::<f32>::bernoulli([2], 1.5, &mut kindling_tensor::Rng::seed(0));
}

#[test]
#[should_panic(expected = "randint: the range [3, 3) is empty")]
fn randint_empty_range() {
    Tensor::randint(3, 3, [2], &mut kindling_tensor::Rng::seed(0));
}

#[test]
#[should_panic(expected = "Rng::below: the range [0, 0) is empty")]
fn rng_below_zero() {
    kindling_tensor::Rng::seed(0).below(0);
}

#[test]
#[should_panic(expected = "Rng::from_state: the all-zero state is invalid for xoshiro256++")]
fn rng_zero_state() {
    kindling_tensor::Rng::from_state([0; 4]);
}

// ----- views and joins -----------------------------------------------------------------------

#[test]
#[should_panic(expected = "slice: step must be at least 1")]
fn slice_zero_step() {
    m(2, 3).slice(1, 0, 3, 0);
}

#[test]
#[should_panic(expected = "slice: start 3 is past end 2 on axis 0 of shape [2, 3]")]
fn slice_start_past_end() {
    m(2, 3).slice(0, 3, 5, 1);
}

#[test]
#[should_panic(expected = "flatten: start axis 1 comes after end axis 0 (shape [2, 3])")]
fn flatten_reversed_axes() {
    m(2, 3).flatten(1, 0);
}

#[test]
#[should_panic(expected = "split: piece size must be at least 1")]
fn split_zero_size() {
    m(2, 3).split(0, 1);
}

#[test]
#[should_panic(expected = "chunk: the number of chunks must be at least 1")]
fn chunk_zero() {
    m(2, 3).chunk(0, 1);
}

#[test]
#[should_panic(expected = "unsqueeze: axis 3 is out of range for inserting into shape [2, 3] (valid axes -3..=2)")]
fn unsqueeze_axis() {
    m(2, 3).unsqueeze(3);
}

#[test]
#[should_panic(expected = "expand: [3] has fewer axes than shape [2, 3]")]
fn expand_fewer_axes() {
    m(2, 3).expand([3]);
}

#[test]
#[should_panic(
    expected = "expand: size -1 at axis 0 of [-1, 2] is invalid for shape [2] (-1 keeps an existing axis; new axes need a size)"
)]
fn expand_minus_one_on_a_new_axis() {
    Tensor::<f32>::zeros([2]).expand([-1, 2]);
}

#[test]
#[should_panic(expected = "cat: needs at least one tensor")]
fn cat_of_nothing() {
    Tensor::<f32>::cat(&[], 0);
}

#[test]
#[should_panic(expected = "index_select: indices must be 1-D, got shape [1, 2]")]
fn index_select_rank() {
    m(2, 3).index_select(1, &Tensor::from([[0i64, 1]]));
}

#[test]
#[should_panic(
    expected = "scatter_add: index [2, 2] and src [2, 1] must have the same shape and fit into [2, 3] outside axis 1"
)]
fn scatter_add_shapes() {
    m(2, 3).scatter_add(1, &Tensor::zeros([2, 2]), &m(2, 1));
}
