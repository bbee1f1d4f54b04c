//! Tests that need no GPU: the PTX that build.rs produced, launch arithmetic for awkward
//! shapes, the CPU references on hand-computed cases, tolerances and error messages.

use kindling_cuda::kernels;
use kindling_cuda::kernels::attention::{Attention, AttentionShape};
use kindling_cuda::kernels::conv::{Conv, ConvShape};
use kindling_cuda::kernels::elementwise::{Binary, BinaryOp, Broadcast, Broadcast4};
use kindling_cuda::kernels::reduce::{Sum, BLOCKS_PER_SM};
use kindling_cuda::kernels::sgemm::Sgemm;
use kindling_cuda::kernels::softmax::{warp_per_row_config, Softmax};
use kindling_cuda::launch::{ceil_div, LaunchConfig};
use kindling_cuda::ptx::{entry_params, entry_points, ptx_isa_version, ptx_target, Family};
use kindling_cuda::reference;
use kindling_cuda::tolerance::{compare, Tolerance};
use kindling_cuda::{Error, Gpu};

// ---- PTX ----

#[test]
fn every_kernel_file_compiled_to_ptx_with_its_entry_points() {
    for family in Family::ALL {
        let ptx = family.ptx();
        let found = entry_points(ptx);
        for entry in family.entries() {
            assert!(found.contains(entry), "{}.ptx lacks `.entry {entry}`; it has {found:?}", family.name());
        }
        assert_eq!(found.len(), family.entries().len(), "{}.ptx has entries {found:?}", family.name());
    }
}

#[test]
fn ptx_is_isa_9_0_for_a_tensor_core_capable_target() {
    for family in Family::ALL {
        let ptx = family.ptx();
        // nvcc 13.0 writes ISA 9.0, which driver 580 (CUDA 13.0) loads.
        assert_eq!(ptx_isa_version(ptx), Some("9.0"), "{}.ptx", family.name());
        let target = ptx_target(ptx).expect("a .target line");
        let sm: u32 = target.trim_start_matches("sm_").parse().expect("sm_NN");
        assert!(sm >= 80, "{}.ptx targets {target}; TF32 mma.sync needs sm_80+", family.name());
    }
}

#[test]
fn tensor_core_kernel_uses_tf32_mma() {
    let ptx = Family::Sgemm.ptx();
    assert!(ptx.contains("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32"));
    assert!(ptx.contains("cvt.rna.tf32.f32"));
}

#[test]
fn every_version_names_a_kernel_that_exists() {
    let sgemm = entry_points(Family::Sgemm.ptx());
    for v in Sgemm::all() {
        assert!(sgemm.contains(&v.kernel().name()), "{v}");
    }
    let elementwise = entry_points(Family::Elementwise.ptx());
    for v in Binary::all() {
        assert!(elementwise.contains(&v.kernel().name()), "{v}");
    }
    for v in Broadcast::all() {
        assert!(elementwise.contains(&v.kernel()), "{v}");
    }
    let reduce = entry_points(Family::Reduce.ptx());
    for v in Sum::all() {
        assert!(reduce.contains(&v.kernel().name()), "{v}");
    }
    let softmax = entry_points(Family::Softmax.ptx());
    for v in Softmax::all() {
        assert!(softmax.contains(&v.kernel(false).name()) && softmax.contains(&v.kernel(true).name()), "{v}");
    }
}

#[test]
fn entry_point_parser_reads_names() {
    let ptx = ".version 9.0\n.target sm_80\n.visible .entry foo(\n.param .u64 a\n)\n.visible .entry bar_2(\n";
    assert_eq!(entry_points(ptx), vec!["foo", "bar_2"]);
    assert_eq!(ptx_isa_version(ptx), Some("9.0"));
    assert_eq!(ptx_target(ptx), Some("sm_80"));
}

// ---- kernel declarations against the .cu prototypes and the PTX ----

/// One `extern "C" __global__` prototype of a `.cu` file: the name and each parameter's
/// (C type, name), the type with its spaces normalised (`const float*`).
type Prototype = (String, Vec<(String, String)>);

/// The `extern "C" __global__` prototypes of a `.cu` source, in order. A prototype runs from a
/// line starting `extern "C" __global__` to the `{` of its body; `__launch_bounds__(..)` is
/// skipped.
fn cu_prototypes(src: &str) -> Vec<Prototype> {
    let mut found = Vec::new();
    let mut offset = 0;
    for line in src.split_inclusive('\n') {
        if line.trim_start().starts_with("extern \"C\" __global__") {
            let rest = &src[offset..];
            let mut proto = rest[..rest.find('{').expect("a kernel body")].to_string();
            if let Some(at) = proto.find("__launch_bounds__") {
                let close = at + proto[at..].find(')').expect("__launch_bounds__(..)");
                proto.replace_range(at..=close, "");
            }
            let open = proto.find('(').expect("a parameter list");
            let name = proto[..open].split_whitespace().last().expect("a kernel name").to_string();
            let list = &proto[open + 1..proto.rfind(')').expect("a closing parenthesis")];
            let params = list
                .split(',')
                .map(|param| {
                    let param = param.split_whitespace().collect::<Vec<_>>().join(" ").replace(" *", "* ");
                    let (ty, name) = param.rsplit_once(' ').expect("a type and a name");
                    (ty.trim().to_string(), name.to_string())
                })
                .collect();
            found.push((name, params));
        }
        offset += line.len();
    }
    found
}

fn cu_source(family: Family) -> String {
    let path = format!("{}/kernels/{}.cu", env!("CARGO_MANIFEST_DIR"), family.name());
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn cu_prototype_parser_reads_names_types_and_launch_bounds() {
    let src = "// extern \"C\" __global__ in a comment is not a prototype\n\
               extern \"C\" __global__ void f(const float* a, float *b, int n) {\n}\n\
               extern \"C\" __global__ void __launch_bounds__(256) g(const float* A,\n\
               Shape s, float scale) {\n}\n";
    let protos = cu_prototypes(src);
    let pair = |t: &str, n: &str| (t.to_string(), n.to_string());
    assert_eq!(protos.len(), 2, "{protos:?}");
    assert_eq!(protos[0], ("f".into(), vec![pair("const float*", "a"), pair("float*", "b"), pair("int", "n")]));
    assert_eq!(protos[1], ("g".into(), vec![pair("const float*", "A"), pair("Shape", "s"), pair("float", "scale")]));
}

#[test]
fn every_kernel_declaration_matches_its_cu_prototype() {
    let declared = kernels::signatures();
    for family in Family::ALL {
        let protos = cu_prototypes(&cu_source(family));
        let mut in_cu: Vec<&str> = protos.iter().map(|(name, _)| name.as_str()).collect();
        let mut in_rust: Vec<&str> = declared.iter().filter(|s| s.family == family).map(|s| s.name).collect();
        in_cu.sort();
        in_rust.sort();
        assert_eq!(in_rust, in_cu, "kernels/{}.cu: kernels declared in Rust vs. in the .cu file", family.name());
        for (name, params) in &protos {
            let sig = declared.iter().find(|s| s.name == name).expect("declared");
            let cu_names: Vec<&str> = params.iter().map(|(_, n)| n.as_str()).collect();
            let cu_types: Vec<&str> = params.iter().map(|(t, _)| t.as_str()).collect();
            assert_eq!(sig.params, cu_names, "{name}: parameter names, Rust vs. .cu");
            assert_eq!(sig.c_types, cu_types, "{name}: parameter C types, Rust vs. .cu");
        }
    }
}

#[test]
fn every_kernel_declaration_matches_its_ptx_parameters() {
    for sig in kernels::signatures() {
        let ptx = entry_params(sig.family.ptx(), sig.name)
            .unwrap_or_else(|| panic!("{}.ptx lacks {}", sig.family.name(), sig.name));
        assert_eq!(sig.layouts, ptx, "{}: (size, align) of each parameter, Rust vs. PTX", sig.name);
    }
}

#[test]
fn family_entries_are_the_declared_kernels() {
    let declared = kernels::signatures();
    for family in Family::ALL {
        let mut entries = family.entries().to_vec();
        let mut names: Vec<&str> = declared.iter().filter(|s| s.family == family).map(|s| s.name).collect();
        entries.sort();
        names.sort();
        assert_eq!(entries, names, "{}", family.name());
    }
}

#[test]
fn ptx_parameter_parser_reads_sizes_and_alignments() {
    let ptx = ".visible .entry k(\n\t.param .u64 k_param_0,\n\t.param .f32 k_param_1,\n\t\
               .param .align 4 .b8 k_param_2[44]\n)\n{\n}\n.visible .entry e(\n)\n";
    assert_eq!(entry_params(ptx, "k"), Some(vec![(8, 8), (4, 4), (44, 4)]));
    assert_eq!(entry_params(ptx, "e"), Some(vec![]));
    assert_eq!(entry_params(ptx, "missing"), None);
}

#[test]
fn kernel_declarations_spell_their_c_types() {
    let sig = kindling_cuda::kernels::cross_entropy::CROSS_ENTROPY_BWD_V1_NAIVE.signature();
    assert_eq!(sig.params, ["logits", "targets", "dlogits", "scale", "rows", "cols"]);
    assert_eq!(sig.c_types, ["const float*", "const int*", "float*", "float", "int", "int"]);
    assert_eq!(sig.layouts, [(8, 8), (8, 8), (8, 8), (4, 4), (4, 4), (4, 4)]);
    let sig = kindling_cuda::kernels::elementwise::BROADCAST_V1_NAIVE.signature();
    assert_eq!(sig.c_types[3], "Broadcast4");
    assert_eq!(sig.layouts[3], (48, 4));
}

// ---- launch arithmetic ----

#[test]
fn one_d_grids_cover_every_item_with_less_than_a_block_spare() {
    for block in [32u32, 100, 128, 256, 1024] {
        for n in [1usize, 2, 31, 32, 33, 127, 128, 129, 1000, 1023, 1024, 1025, 100_003] {
            let cfg = LaunchConfig::one_d(n, block);
            let threads = cfg.threads() as usize;
            assert!(threads >= n && threads - n < block as usize, "n={n} block={block}: {cfg:?}");
        }
    }
    assert_eq!(LaunchConfig::one_d(0, 256).grid, (1, 1, 1), "an empty launch still has one block");
    assert_eq!(ceil_div(7, 4), 2);
    assert_eq!(ceil_div(8, 4), 2);
}

#[test]
#[should_panic(expected = "outside 1..=1024")]
fn oversized_block_is_refused() {
    LaunchConfig::one_d(10, 2048);
}

#[test]
fn float4_versions_launch_a_thread_per_four_elements() {
    assert_eq!(Binary::V2Float4 { block: 128 }.config(1).grid.0, 1);
    assert_eq!(Binary::V2Float4 { block: 128 }.config(512).grid.0, 1);
    assert_eq!(Binary::V2Float4 { block: 128 }.config(513).grid.0, 2);
    assert_eq!(Binary::V1Naive { block: 128 }.config(513).grid.0, 5);
    let rows = Broadcast::V2RowsFloat4 { block: 32 }.rows_config(7, 129);
    assert_eq!((rows.grid.0, rows.grid.1), (2, 7), "33 float4 columns over 32-thread blocks, a row per grid.y");
}

#[test]
fn sgemm_grids_cover_awkward_shapes() {
    // (m, n) -> grid (x over columns, y over rows) for each version.
    let cases = [
        (Sgemm::V1Naive { block: 16 }, 33, 17, (2, 3)),
        (Sgemm::V2Smem { tile: 32 }, 33, 1, (1, 2)),
        (Sgemm::V2Smem { tile: 16 }, 1, 1, (1, 1)),
        (Sgemm::V3Reg { tile: 64 }, 129, 64, (1, 3)),
        (Sgemm::V3Reg { tile: 128 }, 129, 257, (3, 2)),
        (Sgemm::V4VecDbuf, 4096, 4096, (32, 32)),
        (Sgemm::V5Tf32, 200, 130, (2, 2)),
    ];
    for (version, m, n, grid) in cases {
        let cfg = version.config(m, n);
        assert_eq!((cfg.grid.0, cfg.grid.1), grid, "{version} at {m}x{n}");
    }
    assert_eq!(Sgemm::V1Naive { block: 16 }.config(5, 5).block, (16, 16, 1));
    assert_eq!(Sgemm::V3Reg { tile: 128 }.config(5, 5).block, (256, 1, 1));
    assert_eq!(Sgemm::V5Tf32.config(5, 5).block, (256, 1, 1), "8 warps of 64x32");
}

#[test]
fn reduction_grids_are_capped_by_the_gpu_size() {
    let sms = 132;
    let cap = sms * BLOCKS_PER_SM as u32;
    assert_eq!(Sum::V1Atomic { block: 256 }.config(1 << 24, sms).grid.0, (1 << 24) / 256);
    assert_eq!(Sum::V2SharedTree { block: 256 }.config(1 << 24, sms).grid.0, cap);
    assert_eq!(Sum::V2SharedTree { block: 256 }.config(1000, sms).grid.0, 4);
    assert_eq!(Sum::V3WarpShuffle { block: 256 }.config(1025, sms).grid.0, 2, "257 float4 groups");
}

#[test]
#[should_panic(expected = "not a power of two")]
fn tree_reduction_refuses_non_power_of_two_blocks() {
    Sum::V2SharedTree { block: 96 }.config(1000, 1);
}

#[test]
fn warp_per_row_grids() {
    assert_eq!(warp_per_row_config(5, 128).grid.0, 2, "4 rows per block");
    assert_eq!(warp_per_row_config(4, 128).grid.0, 1);
    assert_eq!(warp_per_row_config(1, 32).grid.0, 1);
    assert_eq!(warp_per_row_config(1000, 256).grid.0, 125);
    assert_eq!(Softmax::V1Naive { block: 128 }.config(129).grid.0, 2, "a thread per row");
}

#[test]
fn attention_flash_grid_is_rows_by_heads() {
    let shape = AttentionShape { bh: 6, s: 33, d: 64, causal: true };
    let cfg = Attention::flash_config(8, &shape);
    assert_eq!(cfg.grid, (5, 6, 1));
    assert_eq!(cfg.block, (256, 1, 1));
    assert_eq!(Attention::V1Naive { block: 128 }.workspace_len(&shape), 6 * 33 * 33);
    assert_eq!(Attention::V2Flash { warps: 4 }.workspace_len(&shape), 0);
}

#[test]
fn conv_shapes_and_versions() {
    let s = ConvShape::new(2, 3, 7, 9, 5, 3, 3, 1, 1);
    assert_eq!((s.oh, s.ow), (7, 9), "same padding");
    let s = ConvShape::new(1, 4, 11, 10, 6, 5, 3, 2, 2);
    assert_eq!((s.oh, s.ow), (6, 6));
    assert_eq!(s.cols_len(), 4 * 5 * 3 * 36);
    assert_eq!(Conv::all().len(), 2 + Sgemm::all().len());
}

#[test]
fn broadcast_strides_put_zero_on_broadcast_axes() {
    let b = Broadcast4::new(&[5, 1], &[1, 7]);
    assert_eq!(b.dims, [1, 1, 5, 7]);
    assert_eq!(b.a_strides, [0, 0, 1, 0]);
    assert_eq!(b.b_strides, [0, 0, 0, 1]);
    let b = Broadcast4::new(&[2, 3, 4, 5], &[3, 1, 5]);
    assert_eq!(b.a_strides, [60, 20, 5, 1]);
    assert_eq!(b.b_strides, [0, 5, 0, 1]);
    assert_eq!(b.len(), 120);
}

#[test]
#[should_panic(expected = "cannot broadcast [3, 4] with [5]")]
fn incompatible_broadcast_names_both_shapes() {
    Broadcast4::new(&[3, 4], &[5]);
}

// ---- CPU references on hand-computed cases ----

#[test]
fn reference_elementwise_and_broadcast() {
    assert_eq!(reference::binary(BinaryOp::Sub, &[5.0, 1.0], &[2.0, 3.0]), vec![3.0, -2.0]);
    assert_eq!(reference::binary(BinaryOp::Div, &[1.0], &[4.0]), vec![0.25]);
    let (v, shape) = reference::broadcast(BinaryOp::Add, &[10.0, 20.0], &[2, 1], &[1.0, 2.0, 3.0], &[3]);
    assert_eq!(shape, vec![2, 3]);
    assert_eq!(v, vec![11.0, 12.0, 13.0, 21.0, 22.0, 23.0]);
    let (v, _) = reference::broadcast(BinaryOp::Mul, &[1.0, 2.0, 3.0, 4.0], &[2, 2], &[10.0], &[1]);
    assert_eq!(v, vec![10.0, 20.0, 30.0, 40.0]);
}

#[test]
fn reference_sum_softmax_and_log_softmax() {
    assert_eq!(reference::sum(&[1.0, 2.0, 3.5]), 6.5);
    // softmax([0, ln 3]) = [1/4, 3/4]; a constant shift changes nothing.
    let x = [0.0, 3.0f32.ln(), 100.0, 100.0 + 3.0f32.ln()];
    let p = reference::softmax(&x, 2, 2, false);
    for (got, want) in p.iter().zip([0.25, 0.75, 0.25, 0.75]) {
        assert!((got - want).abs() < 1e-6, "{p:?}");
    }
    let lp = reference::softmax(&x, 2, 2, true);
    assert!((lp[0] - 0.25f32.ln()).abs() < 1e-6 && (lp[3] - 0.75f32.ln()).abs() < 1e-5, "{lp:?}");
}

#[test]
fn reference_layernorm() {
    // Row [1, 2, 3]: mean 2, variance 2/3, rstd = sqrt(3/2) (eps 0).
    let (y, mean, rstd) = reference::layernorm(&[1.0, 2.0, 3.0], &[1.0, 1.0, 2.0], &[0.0, 0.5, 0.0], 1, 3, 0.0);
    let r = 1.5f32.sqrt();
    assert!((mean[0] - 2.0).abs() < 1e-7 && (rstd[0] - r).abs() < 1e-6);
    for (got, want) in y.iter().zip([-r, 0.5, 2.0 * r]) {
        assert!((got - want).abs() < 1e-6, "{y:?}");
    }
}

#[test]
fn reference_cross_entropy() {
    // Uniform logits over 4 classes: loss ln 4, gradient 1/4 everywhere but -3/4 at the target.
    let logits = [2.0f32; 4];
    let loss = reference::cross_entropy_forward(&logits, &[1], 1, 4);
    assert!((loss[0] - 4.0f32.ln()).abs() < 1e-6);
    let g = reference::cross_entropy_backward(&logits, &[1], 1, 4, 1.0);
    assert_eq!(g, vec![0.25, -0.75, 0.25, 0.25]);
    // logits [0, ln 3], target 1: loss = -ln(3/4).
    let loss = reference::cross_entropy_forward(&[0.0, 3.0f32.ln()], &[1], 1, 2);
    assert!((loss[0] + 0.75f32.ln()).abs() < 1e-6);
}

#[test]
fn reference_matmul() {
    // [[1, 2], [3, 4]] . [[5, 6], [7, 8]] = [[19, 22], [43, 50]]
    assert_eq!(reference::matmul(&[1.0, 2.0, 3.0, 4.0], &[5.0, 6.0, 7.0, 8.0], 2, 2, 2), vec![19.0, 22.0, 43.0, 50.0]);
    // [1, 2, 3] . [[1], [1], [1]] = [6]
    assert_eq!(reference::matmul(&[1.0, 2.0, 3.0], &[1.0, 1.0, 1.0], 1, 1, 3), vec![6.0]);
}

#[test]
fn reference_conv2d() {
    // 3x3 input 1..9, 2x2 kernel of ones, no padding: sums of 2x2 windows.
    let x: Vec<f32> = (1..=9).map(|v| v as f32).collect();
    let s = ConvShape::new(1, 1, 3, 3, 1, 2, 2, 1, 0);
    assert_eq!(reference::conv2d(&x, &[1.0; 4], &s), vec![12.0, 16.0, 24.0, 28.0]);
    // Padding 1, stride 2, a single centre weight: picks x at (2i - 1 + 1, 2j - 1 + 1) = (2i, 2j).
    let s = ConvShape::new(1, 1, 3, 3, 1, 3, 3, 2, 1);
    let mut w = [0.0f32; 9];
    w[4] = 1.0;
    assert_eq!(reference::conv2d(&x, &w, &s), vec![1.0, 3.0, 7.0, 9.0]);
}

#[test]
fn reference_attention() {
    // One key: the output is its value, whatever the scores.
    let o = reference::attention(&[0.3, -2.0], &[1.0, 1.0], &[4.0, 5.0], 1, 1, 2, false);
    assert_eq!(o, vec![4.0, 5.0]);
    // Two keys with equal scores: the mean of the values; causal row 0 sees only key 0.
    let q = [0.0, 0.0];
    let k = [1.0, 2.0];
    let v = [10.0, 20.0];
    assert_eq!(reference::attention(&q, &k, &v, 1, 2, 1, false), vec![15.0, 15.0]);
    assert_eq!(reference::attention(&q, &k, &v, 1, 2, 1, true), vec![10.0, 15.0]);
}

#[test]
fn random_values_are_deterministic_and_in_range() {
    let a = reference::random_values(1000, 42);
    assert_eq!(a, reference::random_values(1000, 42));
    assert_ne!(a, reference::random_values(1000, 43));
    assert!(a.iter().all(|v| (-1.0..1.0).contains(v)));
}

// ---- tolerances and errors ----

#[test]
fn tolerance_report_names_the_first_mismatches() {
    let want = [1.0, 2.0, 3.0];
    assert!(compare("x", &[1.0, 2.0, 3.0], &want, Tolerance::STRICT).is_ok());
    let report = compare("sgemm v9", &[1.0, 2.5, 3.0], &want, Tolerance::STRICT).unwrap_err();
    assert!(report.contains("sgemm v9: 1 of 3") && report.contains("[1] got 2.5 want 2"), "{report}");
    assert!(compare("nan", &[f32::NAN], &[1.0], Tolerance::TF32).is_err());
    assert!(Tolerance::tf32_for_depth(400).atol > Tolerance::TF32.atol);
}

#[test]
fn error_messages_say_what_to_do() {
    let no_device = Error::NoDevice.to_string();
    assert!(no_device.contains("nvidia-smi"), "{no_device}");
    assert!(Error::NoDevice.is_no_gpu());
    let ptx = Error::PtxRejected { module: "sgemm", source: cust::error::CudaError::InvalidPtx }.to_string();
    assert!(ptx.contains("kernels/sgemm.cu") && ptx.contains("580"), "{ptx}");
    let launch = Error::Launch { kernel: "sgemm_v4_vec_dbuf", source: cust::error::CudaError::LaunchFailed };
    assert!(!launch.is_no_gpu());
    assert!(launch.to_string().contains("compute-sanitizer"));
}

#[test]
fn gpu_new_without_a_device_is_a_typed_no_gpu_error() {
    match Gpu::new() {
        Ok(gpu) => eprintln!("a GPU is present: {}", gpu.info()),
        Err(e) => {
            assert!(e.is_no_gpu(), "expected no-driver or no-device, got: {e}");
            eprintln!("as expected without a GPU: {e}");
        }
    }
}
