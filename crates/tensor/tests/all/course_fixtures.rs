//! The exact numeric examples of the course notes for tensors (INVENTORY.md section 3,
//! #1-#7 and #15). Where a note is wrong (the shape of a scalar), the test pins the right
//! answer.

use kindling_tensor::{assert_close, Tensor, Tolerance};

#[test]
fn fixture_1_rank_and_shape() {
    let scalar = Tensor::scalar(5i64);
    // The notes say a scalar's shape is "0"; it is [] (rank 0, one element).
    assert_eq!((scalar.rank(), scalar.shape(), scalar.numel()), (0, &[][..], 1));
    let vector = Tensor::from([1i64, 2, 3]);
    assert_eq!((vector.rank(), vector.shape()), (1, &[3][..]));
    let matrix = Tensor::from([[1i64, 2], [3, 4]]);
    assert_eq!((matrix.rank(), matrix.shape()), (2, &[2, 2][..]));
    let cube = Tensor::from([[[1i64, 2], [3, 4]], [[5, 6], [7, 8]]]);
    assert_eq!((cube.rank(), cube.shape()), (3, &[2, 2, 2][..]));
}

fn a() -> Tensor<f32> {
    Tensor::from([[1.0, 2.0], [3.0, 4.0]])
}
fn b() -> Tensor<f32> {
    Tensor::from([[5.0, 6.0], [7.0, 8.0]])
}

#[test]
fn fixture_2_matmul_naive_and_fast() {
    let expected = Tensor::from([[19.0f32, 22.0], [43.0, 50.0]]);
    for mode in [kindling_tensor::KernelMode::Naive, kindling_tensor::KernelMode::Fast] {
        let c = kindling_tensor::with_kernel_mode(mode, || a().matmul(&b()));
        assert!(c.equal(&expected), "{mode:?}: {c}");
    }
}

#[test]
fn fixture_3_transpose() {
    assert_eq!(a().t().to_vec(), vec![1.0, 3.0, 2.0, 4.0]);
}

#[test]
fn fixture_4_hadamard_product() {
    assert!((a() * b()).equal(&Tensor::from([[5.0, 12.0], [21.0, 32.0]])));
}

#[test]
fn fixture_5_identity() {
    let i = Tensor::<f32>::eye(2);
    assert!(a().matmul(&i).equal(&a()));
    assert!(i.matmul(&a()).equal(&a()));
}

#[test]
fn fixture_6_broadcasting_a_one_element_vector() {
    let r = Tensor::from([3i64, 4]) + Tensor::from([1i64]);
    assert!(r.equal(&Tensor::from([4, 5])));
}

#[test]
fn fixture_7_vectorized_add() {
    let r = &Tensor::from([1.0f32, 2.0, 3.0]) + &Tensor::from([4.0f32, 5.0, 6.0]);
    assert_eq!(r.to_vec(), vec![5.0, 7.0, 9.0]);
}

#[test]
fn fixture_15_cosine_similarity() {
    let x = Tensor::from([1.0f64, 2.0, 3.0]);
    let y = Tensor::from([4.0f64, 5.0, 6.0]);
    let cos = x.dot(&y) / (x.dot(&x).sqrt() * y.dot(&y).sqrt());
    // The notes print ~0.9746; the exact value is 0.9746318462.
    assert!(Tolerance::PRINTED.accepts(cos, 0.9746));
    assert!(Tolerance::new(1e-10, 0.0).accepts(cos, 0.9746318462));
}

#[test]
fn dense_layer_shape_algebra() {
    // INVENTORY 1.B: X(64,100)·W(100,50) + b(50,) → (64,50); (64,128)·(128,256) → (64,256).
    let mut rng = kindling_tensor::Rng::seed(0);
    let x = Tensor::<f32>::randn([64, 100], &mut rng);
    let w = Tensor::<f32>::randn([100, 50], &mut rng);
    let bias = Tensor::<f32>::randn([50], &mut rng);
    let z = &x.matmul(&w) + &bias;
    assert_eq!(z.shape(), &[64, 50]);
    assert_eq!(z.relu().shape(), &[64, 50]);
    // Bias gradient is a sum over the batch axis: shape (50,).
    assert_eq!(z.sum(0, false).shape(), &[50]);
    let h = Tensor::<f32>::zeros([64, 128]).matmul(&Tensor::zeros([128, 256]));
    assert_eq!(h.shape(), &[64, 256]);
    // Row 0 of z really is x[0]·W + b.
    let row0: f32 = (0..100).map(|p| x.get(&[0, p]) * w.get(&[p, 0])).sum::<f32>() + bias.get(&[0]);
    assert_close(&Tensor::scalar(z.get(&[0, 0])), &Tensor::scalar(row0), Tolerance::DEFAULT);
}
