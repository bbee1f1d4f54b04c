//! Chapter 5: reference answers to the exercises in `exercises.rs`. The tests run
//! against these unless you pass `--features learner`.

/// Exercise 5.1.
pub fn gd_step(theta: &mut [f64], grad: &[f64], lr: f64) {
    for (t, g) in theta.iter_mut().zip(grad) {
        *t -= lr * g;
    }
}

/// Exercise 5.2.
pub struct Momentum {
    pub lr: f64,
    pub momentum: f64,
    pub nesterov: bool,
    buffer: Option<Vec<f64>>,
}

impl Momentum {
    pub fn new(lr: f64, momentum: f64, nesterov: bool) -> Self {
        Momentum { lr, momentum, nesterov, buffer: None }
    }

    pub fn step(&mut self, theta: &mut [f64], grad: &[f64]) {
        let mu = self.momentum;
        let buffer = match self.buffer.take() {
            None => grad.to_vec(),
            Some(b) => b.iter().zip(grad).map(|(b, g)| mu * b + g).collect(),
        };
        for ((t, g), b) in theta.iter_mut().zip(grad).zip(&buffer) {
            let direction = if self.nesterov { g + mu * b } else { *b };
            *t -= self.lr * direction;
        }
        self.buffer = Some(buffer);
    }
}

/// Exercise 5.3.
pub struct AdamFromScratch {
    pub lr: f64,
    pub betas: (f64, f64),
    pub eps: f64,
    t: i32,
    m: Vec<f64>,
    v: Vec<f64>,
}

impl AdamFromScratch {
    pub fn new(lr: f64, betas: (f64, f64), eps: f64, n: usize) -> Self {
        AdamFromScratch { lr, betas, eps, t: 0, m: vec![0.0; n], v: vec![0.0; n] }
    }

    pub fn step(&mut self, theta: &mut [f64], grad: &[f64]) {
        let (b1, b2) = self.betas;
        self.t += 1;
        let (c1, c2) = (1.0 - b1.powi(self.t), 1.0 - b2.powi(self.t));
        for i in 0..theta.len() {
            let g = grad[i];
            self.m[i] = b1 * self.m[i] + (1.0 - b1) * g;
            self.v[i] = b2 * self.v[i] + (1.0 - b2) * g * g;
            let (m_hat, v_hat) = (self.m[i] / c1, self.v[i] / c2);
            theta[i] -= self.lr * m_hat / (v_hat.sqrt() + self.eps);
        }
    }
}

/// Exercise 5.4.
pub fn cosine_lr(base_lr: f64, eta_min: f64, t: usize, t_max: usize) -> f64 {
    let progress = t as f64 / t_max as f64;
    eta_min
        + 0.5
            * (base_lr - eta_min)
            * (1.0 + (std::f64::consts::PI * progress).cos())
}

/// Exercise 5.5.
pub fn clip_by_norm(grads: &mut [Vec<f64>], max_norm: f64) -> f64 {
    let norm = grads.iter().flatten().map(|g| g * g).sum::<f64>().sqrt();
    if norm > max_norm {
        let scale = max_norm / norm;
        grads.iter_mut().flatten().for_each(|g| *g *= scale);
    }
    norm
}

/// Exercise 5.6.
pub struct Plateau {
    pub factor: f64,
    pub patience: usize,
    pub min_lr: f64,
    best: f64,
    bad_epochs: usize,
}

impl Plateau {
    pub fn new(factor: f64, patience: usize, min_lr: f64) -> Self {
        Plateau { factor, patience, min_lr, best: f64::INFINITY, bad_epochs: 0 }
    }

    pub fn step(&mut self, lr: f64, metric: f64) -> f64 {
        if metric < self.best {
            self.best = metric;
            self.bad_epochs = 0;
        } else {
            self.bad_epochs += 1;
        }
        if self.bad_epochs > self.patience {
            self.bad_epochs = 0;
            return (lr * self.factor).max(self.min_lr);
        }
        lr
    }
}
