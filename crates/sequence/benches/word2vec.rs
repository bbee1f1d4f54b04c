//! word2vec training speed on Tiny Shakespeare beside gensim (`tools/peers/gensim_word2vec.py`,
//! which tokenises the same way): dim 100, window 5, 5 negatives, min count 5, sample 1e-3.
//! Prints effective words/s (gensim's figure: in-vocabulary tokens kept by subsampling) and
//! raw words/s (every token), the median over rounds, and the nearest neighbours of a few words.
//!
//! ```text
//! cargo bench -p kindling-sequence --bench word2vec -- [--threads 1,2] [--epochs 5]
//!     [--sg | --cbow] [--rounds 3] [--neighbours king,queen,love,death,rome,father]
//! ```

use kindling_sequence::word2vec::{Architecture, TrainReport, Word2Vec, Word2VecConfig};

/// "a is to b as c is to ?", printed by both benches.
const ANALOGIES: [[&str; 3]; 3] = [["man", "king", "woman"], ["father", "son", "mother"], ["he", "his", "she"]];

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter().position(|a| a == name).map_or(default.to_string(), |i| args[i + 1].clone())
}

/// Lowercase, then runs of ASCII letters; one sentence per non-empty line. The Python peer
/// uses `re.findall("[a-z]+", line.lower())`, the same rule.
fn tokenise(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|line| {
            line.to_lowercase()
                .split(|c: char| !c.is_ascii_lowercase())
                .filter(|w| !w.is_empty())
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let threads: Vec<usize> = arg(&args, "--threads", "1,2").split(',').map(|t| t.parse().unwrap()).collect();
    let epochs: usize = arg(&args, "--epochs", "5").parse().unwrap();
    let rounds: usize = arg(&args, "--rounds", "3").parse().unwrap();
    let architecture = if args.iter().any(|a| a == "--cbow") { Architecture::Cbow } else { Architecture::SkipGram };
    let probes: Vec<String> =
        arg(&args, "--neighbours", "king,queen,love,death,rome,father").split(',').map(String::from).collect();
    let dir = match kindling_data::datasets::datasets_dir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("SKIPPED: {e}");
            return;
        }
    };
    let path = dir.join("tinyshakespeare/input.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let sentences = tokenise(&text);
    let raw: usize = sentences.iter().map(Vec::len).sum();
    println!("corpus: {} sentences, {raw} words; {architecture:?}, {epochs} epochs", sentences.len());
    for &t in &threads {
        let config = Word2VecConfig { architecture, epochs, threads: t, ..Default::default() };
        let mut runs: Vec<TrainReport> = Vec::new();
        let mut last = None;
        for _ in 0..rounds {
            let (vectors, report) = Word2Vec::train_with_report(&sentences, &config, |_| {});
            println!(
                "  kindling threads={t}: {:.0} effective words/s, {:.0} raw words/s, {:.3} s, vocab {}",
                report.words_per_second(),
                report.raw_words_per_second(),
                report.seconds(),
                report.vocab_size
            );
            runs.push(report);
            last = Some(vectors);
        }
        let eff = median(runs.iter().map(TrainReport::words_per_second).collect());
        let raw = median(runs.iter().map(TrainReport::raw_words_per_second).collect());
        println!("kindling {architecture:?} threads={t}: median {eff:.0} effective words/s, {raw:.0} raw words/s");
        if t == threads[0] {
            let vectors = last.unwrap();
            for p in probes.iter().filter(|p| vectors.contains(p)) {
                let list: Vec<String> =
                    vectors.most_similar(p, 10).iter().map(|(w, s)| format!("{w} {s:.2}")).collect();
                println!("  {p}: {}", list.join(", "));
            }
            for [a, b, c] in ANALOGIES {
                if [a, b, c].iter().all(|w| vectors.contains(w)) {
                    let list: Vec<String> =
                        vectors.analogy(a, b, c, 5).iter().map(|(w, s)| format!("{w} {s:.2}")).collect();
                    println!("  {a} : {b} :: {c} : {}", list.join(", "));
                }
            }
        }
    }
}
