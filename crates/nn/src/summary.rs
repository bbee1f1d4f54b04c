//! A model summary in the spirit of torchinfo: each layer's output shape for a given input,
//! its parameter count, and the totals.
//!
//! How it works: [`summary`] runs one forward pass with a recorder switched on. Every module run
//! through [`Forward::call`] reports its output shape through [`record`] (a no-op when no
//! summary is running), the way PyTorch's hooks fire around `forward`. A walk over the module
//! tree lists the layers and their names, and the two are joined by the layer's address. So a
//! module you write yourself shows its own output shape and its children's, as long as
//! containers (such as [`Sequential`](crate::Sequential)) and your `forward` run children with
//! `call`; a child run with `forward` directly is listed without a shape.
use crate::{Forward, Module, Walker};
use kindling_autograd::{no_grad, Variable};
use kindling_tensor::shape::dims_str;
use kindling_tensor::{Float, Tensor};
use std::cell::RefCell;
use std::fmt;

type Record = (usize, &'static str, Vec<usize>);

std::thread_local! {
    static RECORDER: RefCell<Option<Vec<Record>>> = const { RefCell::new(None) };
}

fn address<M: ?Sized>(module: &M) -> usize {
    module as *const M as *const () as usize
}

/// Reports a layer's output shape to a running [`summary`] (nothing happens otherwise).
pub fn record<T: Float, M: Module<T> + ?Sized>(module: &M, output: &Variable<T>) {
    RECORDER.with(|r| {
        if let Some(records) = r.borrow_mut().as_mut() {
            records.push((address(module), module.type_name(), output.shape()));
        }
    });
}

/// One line of a [`Summary`].
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryRow {
    /// Dotted path (`features.0`); empty for the model itself.
    pub name: String,
    pub type_name: &'static str,
    /// Nesting depth (0 for the model).
    pub depth: usize,
    /// The output shape, when the layer reported one during the pass.
    pub output_shape: Option<Vec<usize>>,
    /// Parameters of this layer and everything inside it.
    pub params: usize,
}

/// What [`summary`] returns; `Display` prints the table.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub input_shape: Vec<usize>,
    pub rows: Vec<SummaryRow>,
    pub total_params: usize,
    pub trainable_params: usize,
    /// Bytes taken by the parameters.
    pub param_bytes: usize,
}

struct TreeWalker<T: Float> {
    rows: Vec<SummaryRow>,
    modules: Vec<usize>,
    depth: usize,
    _t: std::marker::PhantomData<T>,
}

impl<T: Float> Walker<T> for TreeWalker<T> {
    fn item(&mut self, _: &str, _: crate::Item<'_, T>) {}

    fn enter(&mut self, name: &str, module: &dyn Module<T>) {
        self.depth += 1;
        self.rows.push(SummaryRow {
            name: name.to_string(),
            type_name: module.type_name(),
            depth: self.depth,
            output_shape: None,
            params: module.num_parameters(),
        });
        self.modules.push(address(module));
    }

    fn exit(&mut self) {
        self.depth -= 1;
    }
}

/// Runs `model` once on a zero input of `input_shape` (without recording gradients, in the
/// model's current mode) and tabulates its layers.
///
/// ```
/// use kindling_nn::{summary, Linear, ReLU, Sequential};
/// use kindling_tensor::Rng;
///
/// let mut rng = Rng::seed(0);
/// let mlp = Sequential::new().add(Linear::new(10, 20, &mut rng)).add(ReLU).add(Linear::new(20, 1, &mut rng));
/// let s = summary(&mlp, &[5, 10]);
/// assert_eq!(s.total_params, 241);
/// assert_eq!(s.rows[1].output_shape, Some(vec![5, 20]));
/// println!("{s}");
/// ```
pub fn summary<T: Float, M: Forward<T>>(model: &M, input_shape: &[usize]) -> Summary {
    summary_with(model, &Variable::constant(Tensor::zeros(input_shape)), input_shape)
}

/// [`summary`] for a model whose input is not one float tensor: token ids, a `(tokens, mask)`
/// pair, a struct of several inputs. One forward pass runs on `input`; `input_shape` is the
/// shape the table's header shows (the token batch's, say).
pub fn summary_with<T: Float, X: ?Sized, M: Forward<T, X>>(model: &M, input: &X, input_shape: &[usize]) -> Summary {
    let previous = RECORDER.with(|r| r.replace(Some(Vec::new())));
    let output = no_grad(|| model.forward(input));
    let mut records = RECORDER.with(|r| r.replace(previous)).unwrap_or_default();

    let mut walker = TreeWalker { rows: Vec::new(), modules: Vec::new(), depth: 0, _t: std::marker::PhantomData };
    let mut visitor = crate::Visitor::new(&mut walker);
    model.visit(&mut visitor);
    let mut rows = vec![SummaryRow {
        name: String::new(),
        type_name: model.type_name(),
        depth: 0,
        output_shape: Some(output.shape()),
        params: model.num_parameters(),
    }];
    // Zero-sized layers (ReLU, Identity) share one address, so match each row with the first
    // unused record of the same address and type: the order in which they ran.
    for (mut row, addr) in walker.rows.into_iter().zip(walker.modules) {
        if let Some(i) = records.iter().position(|(a, t, _)| *a == addr && *t == row.type_name) {
            row.output_shape = Some(records.remove(i).2);
        }
        rows.push(row);
    }
    let params = model.parameters();
    Summary {
        input_shape: input_shape.to_vec(),
        rows,
        total_params: params.iter().map(Variable::numel).sum(),
        trainable_params: params.iter().filter(|p| p.requires_grad()).map(Variable::numel).sum(),
        param_bytes: params.iter().map(Variable::numel).sum::<usize>() * std::mem::size_of::<T>(),
    }
}

/// 109386 → "109,386".
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let layer_label = |row: &SummaryRow| {
            let indent = if row.depth == 0 { String::new() } else { format!("{}└─", "  ".repeat(row.depth - 1)) };
            if row.name.is_empty() {
                format!("{indent}{}", row.type_name)
            } else {
                format!("{indent}{} ({})", row.type_name, row.name)
            }
        };
        let labels: Vec<String> = self.rows.iter().map(layer_label).collect();
        let shapes: Vec<String> =
            self.rows.iter().map(|r| r.output_shape.as_ref().map_or("--".to_string(), |s| dims_str(s))).collect();
        let w0 = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0).max("Layer (type)".len()) + 2;
        let w1 = shapes.iter().map(String::len).max().unwrap_or(0).max("Output shape".len()) + 2;
        let w2 = 12;
        let rule = "=".repeat(w0 + w1 + w2);
        writeln!(f, "{rule}")?;
        writeln!(f, "{:<w0$}{:<w1$}{:>w2$}", "Layer (type)", "Output shape", "Param #")?;
        writeln!(f, "{rule}")?;
        for ((row, label), shape) in self.rows.iter().zip(&labels).zip(&shapes) {
            let pad = w0 - label.chars().count();
            writeln!(f, "{label}{:pad$}{shape:<w1$}{:>w2$}", "", thousands(row.params))?;
        }
        writeln!(f, "{rule}")?;
        writeln!(f, "Input shape: {}", dims_str(&self.input_shape))?;
        writeln!(f, "Total params: {}", thousands(self.total_params))?;
        writeln!(f, "Trainable params: {}", thousands(self.trainable_params))?;
        writeln!(f, "Non-trainable params: {}", thousands(self.total_params - self.trainable_params))?;
        writeln!(f, "Params size (MB): {:.2}", self.param_bytes as f64 / 1e6)?;
        write!(f, "{rule}")
    }
}
