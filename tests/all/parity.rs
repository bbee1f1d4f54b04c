//! The PyTorch-parity walk: every public loss, layer, optimizer and schedule must have a
//! reference case recorded from PyTorch (or, where PyTorch has none, from its definition written
//! in torch ops) in one of the fixture JSONs, or be exempt for a stated reason.
//!
//! The API is read from the source files with plain text matching (no nightly rustdoc JSON):
//!
//! | kind | what counts as one | where |
//! |---|---|---|
//! | loss | a top-level `pub fn`, or a `pub struct …Loss` | `crates/nn/src/loss/*.rs` |
//! | layer | a type with an `impl … Forward … for Type`, also through a macro | `crates/*/src/**/*.rs` |
//! | optimizer | a `pub type Name<…> = Optim<…>` alias | `crates/optim/src/*.rs` |
//! | schedule | an `impl LrSchedule for Type`, or a `pub struct` with a `pub fn step` | `crates/optim/src/schedule*` |
//!
//! and the cases from the fixtures:
//!
//! - losses: every `"loss"` field in `crates/nn/tests/fixtures/*.json`, named as the Rust
//!   function (`mse_loss`), without its `_loss` suffix (`mse`), or as a method listed in
//!   [`FIXTURE_SPELLINGS`];
//! - layers: in `crates/{nn,vision,sequence,transformer}/tests/fixtures/*.json`, the `"op"`, `"layer"`, `"module"`
//!   and `"name"` fields of cases that are not losses, and the top-level keys of files keyed by
//!   case (`layers.json`); a case covers `BatchNorm2d` when its name, split at `_`, starts with
//!   words that spell it (`batch_norm2d`, `batchnorm2d_eval`);
//! - optimizers: the `"kind"` of each `optimizers` case in `crates/optim/tests/fixtures/torch_reference.json`
//!   (PyTorch's spelling, compared ignoring case: `RMSprop` is `Rmsprop`);
//! - schedules: the `"rust_types"` of each `schedules` case there.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Items with no PyTorch counterpart to check against, each with the reason.
const EXEMPT: &[(&str, &str)] = &[
    ("Sequential", "a container: its output is its children's, and each child kind has its own case"),
    ("Residual", "a container: x + f(x) around another module, which has its own case"),
    (
        "Recurrent",
        "the one type behind Rnn, Lstm and Gru (nn.RNN, nn.LSTM, nn.GRU), whose cases in \
         crates/sequence/tests/fixtures/recurrent.json are each run as a Recurrent",
    ),
    (
        "Dropout",
        "the mask comes from Kindling's generator, which cannot reproduce torch's; scaling by 1/(1 - p) and \
         the eval-mode identity are tested in crates/nn/tests/all/layers.rs",
    ),
    ("Dropout2d", "as Dropout, per channel; tested in crates/nn/tests/all/conv_layers.rs"),
    (
        "TinyVgg",
        "a model assembled from nn layers that each have a case (CNN Explainer's net, not in torch); shapes and \
         parameter counts are tested in crates/vision/tests/all/models.rs",
    ),
    ("LeNet5", "a model assembled from nn layers that each have a case (not in torch); see crates/vision tests"),
    (
        "BasicBlock",
        "a model part assembled from Conv2d, BatchNorm2d and ReLU, each with its own case; torchvision (its \
         counterpart) is not part of the fixture environment",
    ),
    ("ResNet", "the course's small CIFAR ResNet, assembled from BasicBlock, pools and Linear; not in torch"),
    (
        "FeedForward",
        "the transformer layers' feed-forward sub-layer (linear1, activation, dropout, linear2), which PyTorch \
         has only inside nn.TransformerEncoderLayer and nn.TransformerDecoderLayer; every one of their cases in \
         crates/transformer/tests/fixtures/layers.json runs it",
    ),
    (
        "WarmupCosineLr",
        "nanoGPT's get_lr, a plain function in its training script and no torch.optim scheduler (SequentialLR of \
         LinearLR and CosineAnnealingLR warms up from another start and climbs back after its end); tested \
         against the formula in crates/optim",
    ),
    (
        "Scheduler",
        "the driver that applies an LrSchedule to an optimizer's groups; every schedule case runs through it",
    ),
];

/// Loss cases named after a method rather than a free function: (name in the fixture, the Rust
/// items it covers).
const FIXTURE_SPELLINGS: &[(&str, &[&str])] =
    &[("CrossEntropyLoss::indices", &["CrossEntropyLoss"]), ("CrossEntropyLoss::probs", &["CrossEntropyLoss"])];

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Loss,
    Layer,
    Optimizer,
    Schedule,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Files under `dir` (recursively) whose name ends with `ext`, sorted.
fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path, ext));
        } else if path.to_string_lossy().ends_with(ext) {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The identifier at the start of `s`.
fn ident(s: &str) -> &str {
    let end = s.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(s.len());
    &s[..end]
}

/// `Type` in a line such as `impl<T: Float> Forward<T> for Type<T> {`.
fn impl_target<'a>(line: &'a str, trait_name: &str) -> Option<&'a str> {
    let line = line.trim_start();
    if !line.starts_with("impl") || !line.contains(trait_name) {
        return None;
    }
    let (before, after) = line.rsplit_once(" for ")?;
    before.contains(trait_name).then(|| after.trim_start())
}

/// `Type` in a line such as `impl<S: LrSchedule> Type<S> {` or `impl Trait for Type {`.
fn impl_self_type(line: &str) -> Option<&str> {
    let mut rest = line.strip_prefix("impl").filter(|r| r.starts_with(['<', ' ']))?;
    if let Some((_, after)) = rest.rsplit_once(" for ") {
        return Some(ident(after.trim_start()));
    }
    if rest.starts_with('<') {
        // Skip the generic parameters, which may nest (`<T: Into<f64>>`).
        let mut depth = 0;
        let end = rest.find(|c| {
            depth += match c {
                '<' => 1,
                '>' => -1,
                _ => 0,
            };
            depth == 0
        })?;
        rest = &rest[end + 1..];
    }
    Some(ident(rest.trim_start())).filter(|name| !name.is_empty())
}

fn losses() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for path in files(&root().join("crates/nn/src/loss"), ".rs") {
        for line in read(&path).lines() {
            if let Some(rest) = line.strip_prefix("pub fn ") {
                out.insert(ident(rest).to_string());
            } else if let Some(rest) = line.strip_prefix("pub struct ") {
                let name = ident(rest);
                if name.ends_with("Loss") {
                    out.insert(name.to_string());
                }
            }
        }
    }
    out
}

/// Types implementing `Forward`, directly or through a macro of the same file whose body
/// implements it for its `$name` argument (how `activation.rs` declares its layers).
fn layers() -> BTreeSet<String> {
    let (mut out, mut direct, mut structs) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for crate_dir in files(&root().join("crates"), "Cargo.toml") {
        let src = crate_dir.parent().unwrap().join("src");
        for path in files(&src, ".rs") {
            let text = read(&path);
            let mut layer_macros = Vec::new();
            let mut current_macro = None;
            for line in text.lines() {
                if let Some(rest) = line.trim_start().strip_prefix("macro_rules! ") {
                    current_macro = Some(ident(rest).to_string());
                }
                if let Some(rest) = line.trim_start().strip_prefix("pub struct ") {
                    structs.insert(ident(rest).to_string());
                }
                match impl_target(line, "Forward") {
                    Some(target) if target.starts_with('$') => layer_macros.extend(current_macro.clone()),
                    Some(target) => {
                        direct.insert(ident(target).to_string());
                    }
                    None => {}
                }
            }
            for name in layer_macros {
                out.extend(macro_invocations(&text, &name));
            }
        }
    }
    // Only types we define: `impl Forward for Box<M>` forwards to another layer.
    out.extend(direct.intersection(&structs).cloned());
    out
}

/// The first identifier of each `name!(…)` invocation, after its doc comments and attributes;
/// the macro's own recursive calls (`name!(@impl …`) are skipped.
fn macro_invocations(text: &str, name: &str) -> Vec<String> {
    let opener = format!("{name}!(");
    let mut out = Vec::new();
    let mut waiting = false;
    for line in text.lines() {
        let line = line.trim_start();
        if let Some(rest) = line.strip_prefix(&opener) {
            let rest = rest.trim_start();
            if rest.is_empty() {
                waiting = true;
            } else if !rest.starts_with(['@', '$']) && !ident(rest).is_empty() {
                out.push(ident(rest).to_string());
            }
        } else if waiting && !line.is_empty() && !line.starts_with("///") && !line.starts_with("#[") {
            waiting = false;
            if !ident(line).is_empty() {
                out.push(ident(line).to_string());
            }
        }
    }
    out
}

fn optimizers() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for path in files(&root().join("crates/optim/src"), ".rs") {
        for line in read(&path).lines() {
            if let Some(rest) = line.strip_prefix("pub type ") {
                if line.contains("= Optim<") {
                    out.insert(ident(rest).to_string());
                }
            }
        }
    }
    out
}

fn schedules() -> BTreeSet<String> {
    let optim = root().join("crates/optim/src");
    let mut sources = files(&optim.join("schedule"), ".rs");
    sources.push(optim.join("schedule.rs"));
    let (mut structs, mut found) = (BTreeSet::new(), BTreeSet::new());
    for path in sources {
        let mut current_impl = String::new();
        for line in read(&path).lines() {
            if let Some(rest) = line.strip_prefix("pub struct ") {
                structs.insert(ident(rest).to_string());
            }
            if let Some(target) = impl_target(line, "LrSchedule") {
                found.insert(ident(target).to_string());
            }
            if let Some(target) = impl_self_type(line) {
                current_impl = target.to_string();
            }
            let step = line.trim_start().strip_prefix("pub fn step").unwrap_or("");
            if step.starts_with(['(', '<']) {
                found.insert(current_impl.clone());
            }
        }
    }
    // Only our own types: `impl LrSchedule for Box<S>` is not a schedule.
    found.intersection(&structs).cloned().collect()
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Calls `visit` on every object inside `value`.
fn each_object(value: &Value, visit: &mut impl FnMut(&serde_json::Map<String, Value>)) {
    match value {
        Value::Object(map) => {
            visit(map);
            map.values().for_each(|v| each_object(v, visit));
        }
        Value::Array(items) => items.iter().for_each(|v| each_object(v, visit)),
        _ => {}
    }
}

/// Case names per kind, each with the file it came from.
fn reference_cases() -> BTreeMap<Kind, BTreeMap<String, String>> {
    let mut cases: BTreeMap<Kind, BTreeMap<String, String>> = BTreeMap::new();
    let mut add = |kind, name: &str, file: &Path| {
        let file = file.strip_prefix(root()).unwrap_or(file).display().to_string();
        cases.entry(kind).or_default().entry(name.to_string()).or_insert(file);
    };
    for dir in [
        "crates/nn/tests/fixtures",
        "crates/vision/tests/fixtures",
        "crates/sequence/tests/fixtures",
        "crates/transformer/tests/fixtures",
    ] {
        for path in files(&root().join(dir), ".json") {
            let doc = json(&path);
            if let Value::Object(top) = &doc {
                if !top.contains_key("cases") {
                    // A file keyed by case name (layers.json).
                    top.keys().for_each(|k| add(Kind::Layer, k, &path));
                }
            }
            each_object(&doc, &mut |case| {
                if let Some(loss) = case.get("loss").and_then(Value::as_str) {
                    add(Kind::Loss, loss, &path);
                    return;
                }
                for field in ["op", "layer", "module", "name"] {
                    if let Some(name) = case.get(field).and_then(Value::as_str) {
                        add(Kind::Layer, name, &path);
                    }
                }
            });
        }
    }
    let optim = root().join("crates/optim/tests/fixtures/torch_reference.json");
    let doc = json(&optim);
    for case in doc["optimizers"].as_array().expect("torch_reference.json: optimizers") {
        add(Kind::Optimizer, case["kind"].as_str().expect("optimizer kind"), &optim);
    }
    for case in doc["schedules"].as_array().expect("torch_reference.json: schedules") {
        for ty in case["rust_types"].as_array().expect("schedule rust_types") {
            add(Kind::Schedule, ty.as_str().expect("a type name"), &optim);
        }
    }
    cases
}

/// Whether a case named `case` covers the Rust item `item` of this kind (see the module doc).
fn covers(kind: Kind, case: &str, item: &str) -> bool {
    match kind {
        Kind::Loss => {
            case == item
                || format!("{case}_loss") == item
                || FIXTURE_SPELLINGS.iter().any(|(spelling, items)| *spelling == case && items.contains(&item))
        }
        Kind::Layer => {
            let want = item.to_lowercase();
            let mut prefix = String::new();
            case.to_lowercase().split('_').any(|word| {
                prefix.push_str(word);
                prefix == want
            })
        }
        Kind::Optimizer => case.eq_ignore_ascii_case(item),
        Kind::Schedule => case == item,
    }
}

#[test]
fn every_public_loss_layer_optimizer_and_schedule_has_a_pytorch_case() {
    let api = [
        (Kind::Loss, losses()),
        (Kind::Layer, layers()),
        (Kind::Optimizer, optimizers()),
        (Kind::Schedule, schedules()),
    ];
    // The walk itself must work: enough items of each kind, and some we know exist.
    let expected: [(Kind, usize, &[&str]); 4] = [
        (Kind::Loss, 15, &["mse_loss", "cross_entropy", "CrossEntropyLoss", "kl_div"]),
        (Kind::Layer, 25, &["Linear", "Conv2d", "BatchNorm2d", "ReLU", "LeakyReLU", "Sequential", "ResNet"]),
        (Kind::Optimizer, 10, &["Sgd", "Rmsprop", "AdamW", "NAdam", "Lion"]),
        (Kind::Schedule, 9, &["StepLr", "SequentialLr", "ReduceLrOnPlateau"]),
    ];
    for ((kind, items), (_, at_least, known)) in api.iter().zip(expected) {
        assert!(items.len() >= at_least, "the API walk found only {} {kind:?} items: {items:?}", items.len());
        for name in known {
            assert!(items.contains(*name), "the API walk missed the {kind:?} {name}; found {items:?}");
        }
    }

    let cases = reference_cases();
    let all_items: BTreeSet<&str> = api.iter().flat_map(|(_, items)| items.iter().map(String::as_str)).collect();
    let stale: Vec<&str> = EXEMPT.iter().map(|(name, _)| *name).filter(|n| !all_items.contains(n)).collect();
    assert!(stale.is_empty(), "EXEMPT lists items the API no longer has: {stale:?}");

    let (mut missing, mut report) = (String::new(), String::new());
    for (kind, items) in &api {
        let kind_cases = cases.get(kind).cloned().unwrap_or_default();
        let mut covered = 0;
        for item in items {
            let case = kind_cases.iter().find(|(case, _)| covers(*kind, case, item));
            let exempt = EXEMPT.iter().any(|(name, _)| name == item);
            match case {
                Some(_) => covered += 1,
                None if exempt => {}
                None => writeln!(missing, "  {kind:?} {item}").unwrap(),
            }
        }
        writeln!(report, "{kind:?}: {} items, {covered} with a PyTorch case", items.len()).unwrap();
    }
    println!("{report}");
    assert!(
        missing.is_empty(),
        "no PyTorch reference case for:\n{missing}Add a case named after the Rust item (a loss's \"loss\" field, \
         a layer's case name or \"op\", an optimizer's \"kind\", a schedule's \"rust_types\") to the fixture JSONs, \
         or, only if PyTorch has nothing to compare with, an EXEMPT entry in tests/all/parity.rs saying why."
    );
}

#[test]
fn case_names_are_matched_word_by_word() {
    assert!(covers(Kind::Layer, "batch_norm2d", "BatchNorm2d"));
    assert!(covers(Kind::Layer, "batchnorm1d_3d", "BatchNorm1d"));
    assert!(covers(Kind::Layer, "leaky_relu", "LeakyReLU"));
    assert!(!covers(Kind::Layer, "leaky_relu", "ReLU"), "a word inside a name is not a case");
    assert!(!covers(Kind::Layer, "gelu_tanh", "ELU"));
    assert!(!covers(Kind::Layer, "conv_basic", "Conv2d"));
    assert!(covers(Kind::Loss, "mse", "mse_loss") && covers(Kind::Loss, "mse_loss", "mse_loss"));
    let probs = "CrossEntropyLoss::probs";
    assert!(covers(Kind::Loss, probs, "CrossEntropyLoss") && !covers(Kind::Loss, probs, "cross_entropy"));
    assert!(covers(Kind::Optimizer, "RMSprop", "Rmsprop") && !covers(Kind::Optimizer, "Adam", "AdamW"));
    let invocations = macro_invocations(
        "m!(\n    /// doc\n    #[attr]\n    Relu6, |s, x| x\n);\nm!(@impl $name);\nm!(Tanh, |s, x| x);\n",
        "m",
    );
    assert_eq!(invocations, ["Relu6", "Tanh"]);
    assert_eq!(impl_self_type("impl<S: LrSchedule<Into<f64>>> Scheduler<S> {"), Some("Scheduler"));
    assert_eq!(impl_self_type("impl Default for PlateauConfig {"), Some("PlateauConfig"));
    assert_eq!(impl_self_type("implied"), None);
}
