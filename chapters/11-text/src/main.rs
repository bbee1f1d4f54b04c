//! Chapter 11's demo: `cargo run --release -p ch11-text`, with `KINDLING_DATASETS`
//! set to the folder holding `tinyshakespeare/input.txt`.
//!
//! Normalises and tokenises a line of the play; measures how many held-out words a
//! word vocabulary does not know; trains byte-level BPE and WordPiece on the play
//! and encodes with them; searches the play's speeches with TF-IDF; trains
//! skip-gram word vectors and shows their neighbours, a few analogies and a 2-D
//! map. With `--full`, also times skip-gram and CBOW on one thread and on every
//! core. Everything the book shows is written to `book/src/generated/11-text/`.
//!
//! ```text
//! cargo run --release -p ch11-text                   # about 15 s: what the book shows
//! cargo run --release -p ch11-text -- --full         # and the word2vec speed table (a minute)
//! cargo run --release -p ch11-text -- --epochs 5 --threads 2   # another word2vec run
//! ```
//!
//! Without the dataset the demo says that it skipped and keeps the files of an
//! earlier run.

use ch11_text::*;
use chapter_kit::{best_of, markdown_table, Output};
use kindling_data::text::{
    normalize, remove_stop_words, words, BpeTrainOptions, ByteBpe, Normalize,
    Punctuation, Vocab, WordPiece, WordPieceScore, WordPieceTrainOptions,
    STOP_WORDS_EN,
};
use kindling_metrics::plot::{scatter_labeled, PlotOptions};
use kindling_sequence::word2vec::{Architecture, Word2Vec, WordVectors};
use std::time::Instant;

/// What the command line asked for.
struct Args {
    full: bool,
    epochs: usize,
    threads: usize,
}

fn parse_args() -> Args {
    let args: Vec<String> = std::env::args().skip(1).collect();
    const KNOWN: [&str; 3] = ["--full", "--epochs", "--threads"];
    for a in &args {
        if a.starts_with("--") && !KNOWN.contains(&a.as_str()) {
            eprintln!(
                "ch11-text: unknown option {a} (known: {})",
                KNOWN.join(", ")
            );
            std::process::exit(2);
        }
    }
    let number = |name: &str| -> Option<usize> {
        let i = args.iter().position(|a| a == name)?;
        let v = args.get(i + 1).unwrap_or_else(|| {
            eprintln!("ch11-text: {name} needs a value");
            std::process::exit(2)
        });
        Some(v.parse().unwrap_or_else(|_| {
            eprintln!("ch11-text: {name} expects a whole number, got {v:?}");
            std::process::exit(2)
        }))
    };
    let full = args.iter().any(|a| a == "--full");
    Args {
        full,
        epochs: number("--epochs").unwrap_or(50),
        // One thread by default: a Hogwild run on several threads differs from run
        // to run, and the book quotes this run's neighbours.
        threads: number("--threads").unwrap_or(1),
    }
}

fn main() -> std::io::Result<()> {
    let args = parse_args();
    let out = Output::for_chapter("11-text")?;
    if cfg!(debug_assertions) {
        out.step("note: this is a debug build; run with --release");
    }
    let start = Instant::now();
    let play = match kindling_data::datasets_dir()
        .and_then(|d| kindling_data::tiny_shakespeare(d.join("tinyshakespeare")))
    {
        Ok(text) => text,
        Err(e) => {
            out.step(&format!("skipped: the demo needs Tiny Shakespeare (the files of an earlier run stay): {e}"));
            return Ok(());
        }
    };
    // The first 90 % trains every model; the rest is held out, as in chapter 10.
    let cut = play
        .char_indices()
        .nth(play.chars().count() * 9 / 10)
        .map_or(play.len(), |(i, _)| i);
    let (train, held_out) = play.split_at(cut);

    out.step("normalising and tokenising a line");
    tokenising(&out)?;

    out.step("word vocabularies and the words they do not know");
    vocabularies(&out, train, held_out)?;

    out.step("byte-level BPE trained on the play");
    bpe(&out, train, held_out)?;

    out.step("WordPiece trained on the play");
    wordpiece(&out, train, if args.full { &[4_000, 12_000] } else { &[4_000] })?;

    out.step("TF-IDF search over the play's speeches");
    retrieval(&out, &play)?;

    out.step(&format!(
        "word2vec: skip-gram, {} epochs on {} threads",
        args.epochs, args.threads
    ));
    let vectors = embeddings(&out, &play, &args)?;

    out.step("analogies and a 2-D map");
    analogies(&out, &vectors)?;
    map(&out, &vectors)?;

    if args.full {
        out.step("word2vec speed: skip-gram and CBOW, 5 epochs, one thread and every core");
        speed(&out, &play)?;
    }

    out.step(&format!("done in {:.1} s", start.elapsed().as_secs_f64()));
    Ok(())
}

fn tokenising(out: &Output) -> std::io::Result<()> {
    let line =
        "KING RICHARD III:\nO, that I were as great   as is my grief,\nor lesser than my name! Ｔｈｅ ﬁrst café…";
    let normal = normalize(line, &Normalize::default());
    let bare = normalize(
        line,
        &Normalize {
            strip_accents: true,
            punctuation: Punctuation::Remove,
            ..Normalize::default()
        },
    );
    let tokens = words(&normal);
    let content = remove_stop_words(&words(&bare));
    let mut text = format!("raw:            {line:?}\n");
    text += &format!("normalised:     {normal:?}\n");
    text += &format!("+ no accents, no punctuation: {bare:?}\n");
    text += &format!("words:          {tokens:?}\n");
    text += &format!(
        "no stop words:  {content:?}   ({} stop words in the list)\n",
        STOP_WORDS_EN.len()
    );
    text += &format!(
        "bigrams:        {:?}\n",
        kindling_data::text::ngrams(&content, 2)
    );
    out.write("normalise.txt", &text)
}

/// Lowercased word tokens (punctuation left out) of a text.
fn word_tokens(text: &str) -> Vec<String> {
    let normal = normalize(text, &Normalize::default());
    words(&normal)
        .into_iter()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .map(String::from)
        .collect()
}

fn vocabularies(out: &Output, train: &str, held_out: &str) -> std::io::Result<()> {
    let (train_words, test_words) = (word_tokens(train), word_tokens(held_out));
    let mut rows = Vec::new();
    for min_freq in [1, 2, 5, 10] {
        let vocab = Vocab::builder().min_freq(min_freq).build(&train_words);
        let unk = vocab.id_or_unk("<unk>");
        let unknown =
            vocab.encode(&test_words).iter().filter(|&&id| id == unk).count();
        rows.push(vec![
            min_freq.to_string(),
            format!("{}", vocab.len()),
            format!("{:.1} %", 100.0 * unknown as f64 / test_words.len() as f64),
        ]);
    }
    let mut text = format!(
        "Training part: {} words ({} distinct); held-out part: {} words.\n\n",
        train_words.len(),
        Vocab::builder().specials::<&str>(&[]).build(&train_words).len(),
        test_words.len()
    );
    text += &markdown_table(
        &["min_freq", "vocabulary (with 4 specials)", "held-out words unknown"],
        &rows,
    );
    out.write("vocab.md", &text)
}

/// A token as text, its spaces shown as ␣ and line breaks as ⏎; bytes that are not
/// (yet) a whole UTF-8 character are shown in hexadecimal, such as <E6>.
fn show(bytes: &[u8]) -> String {
    let valid = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()])
            .expect("the valid prefix"),
    };
    let rest: String =
        bytes[valid.len()..].iter().map(|b| format!("<{b:02X}>")).collect();
    valid.replace(' ', "␣").replace('\n', "⏎") + &rest
}

fn bpe(out: &Output, train: &str, held_out: &str) -> std::io::Result<()> {
    const VOCAB: usize = 2_000;
    let (took, bpe) =
        best_of(1, || ByteBpe::train(train, VOCAB, &BpeTrainOptions::default()));
    let merges: Vec<String> = bpe
        .merges()
        .iter()
        .take(16)
        .map(|&(a, b)| {
            format!("{} + {}", show(bpe.token_bytes(a)), show(bpe.token_bytes(b)))
        })
        .collect();
    let (encode_time, ids) = best_of(3, || bpe.encode(held_out));
    let exact = bpe.decode(&ids) == held_out;
    let held_out_words = word_tokens(held_out).len();
    let mut text = format!(
        "Trained on the first 90 % of the play ({:.1} MB) to {} tokens (256 bytes and {} merges) in {:.2} s.\n\n",
        train.len() as f64 / 1e6,
        bpe.vocab_size(),
        bpe.merges().len(),
        took.as_secs_f64()
    );
    text += &markdown_table(
        &["held-out text", "value"],
        &[
            vec!["bytes".into(), held_out.len().to_string()],
            vec!["tokens".into(), ids.len().to_string()],
            vec![
                "bytes per token".into(),
                format!("{:.2}", held_out.len() as f64 / ids.len() as f64),
            ],
            vec![
                "tokens per word".into(),
                format!("{:.2}", ids.len() as f64 / held_out_words as f64),
            ],
            vec!["decode(encode(text)) == text".into(), exact.to_string()],
            vec![
                "encoding speed (one thread)".into(),
                format!(
                    "{:.1} MB/s",
                    held_out.len() as f64 / 1e6 / encode_time.as_secs_f64()
                ),
            ],
        ],
    );
    text += &format!("\nThe first merges: {}.\n", merges.join(", "));
    out.write("bpe.md", &text)?;

    let mut sample = String::new();
    for line in [
        "ROMEO: But, soft! what light through yonder window breaks?",
        "Thou art more lovely and more temperate, unsworn grandsire.",
        "Naïve café, 東京, 🦀!",
    ] {
        let ids = bpe.encode(line);
        let pieces: Vec<String> =
            ids.iter().map(|&id| show(bpe.token_bytes(id))).collect();
        sample +=
            &format!("{line}\n  {} tokens: {}\n", ids.len(), pieces.join(" | "));
        sample += &format!("  round trip exact: {}\n", bpe.decode(&ids) == line);
    }
    out.write("bpe-sample.txt", &sample)
}

fn wordpiece(out: &Output, train: &str, sizes: &[usize]) -> std::io::Result<()> {
    // Encoding is greedy, longest piece first: with a vocabulary that holds
    // "called", the word stays whole, and a rare word is spelt from pieces.
    let hand = WordPiece::from_vocab([
        "[UNK]", "i", "made", "sweet", "indian", "rice", "called", "k", "##he",
        "##er",
    ]);
    let mut text = format!(
        "A vocabulary of 10 pieces, written by hand:\n  {}\n",
        hand.tokens("i made sweet indian rice called kheer").join(" ")
    );
    let train_words = word_tokens(train);
    for &size in sizes {
        for (score, name) in [
            (WordPieceScore::Likelihood, "likelihood"),
            (WordPieceScore::Frequency, "frequency"),
        ] {
            let options =
                WordPieceTrainOptions { score, ..WordPieceTrainOptions::default() };
            let start = Instant::now();
            let wp = WordPiece::train(
                train_words.iter().map(String::as_str),
                size,
                &options,
            );
            let took = start.elapsed().as_secs_f64();
            text += &format!(
                "Trained on the play's words by {name}, {} pieces ({took:.1} s):\n",
                wp.vocab_size()
            );
            for line in [
                "i made sweet indian rice called kheer",
                "the unsworn grandsire doth misbecome thee",
            ] {
                text += &format!("  {}\n", wp.tokens(line).join(" "));
            }
        }
    }
    out.write("wordpiece.txt", &text)
}

/// At most `n` characters of `text`, with an ellipsis when cut.
fn excerpt(text: &str, n: usize) -> String {
    if text.chars().count() <= n {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(n).collect::<String>().trim_end())
    }
}

fn retrieval(out: &Output, play: &str) -> std::io::Result<()> {
    let all = speeches(play);
    let start = Instant::now();
    let search = SpeechSearch::new(&all);
    let mut text = format!(
        "{} speeches, {} terms (in at least 3 speeches), indexed in {:.2} s.\n",
        all.len(),
        search.terms(),
        start.elapsed().as_secs_f64()
    );
    for query in
        ["grief and sorrow", "crown king throne", "my horse is lame", "gentle love"]
    {
        let rows: Vec<Vec<String>> = search
            .search(query, 5)
            .into_iter()
            .enumerate()
            .map(|(rank, (i, score))| {
                vec![
                    (rank + 1).to_string(),
                    all[i].speaker.clone(),
                    format!("{score:.3}"),
                    excerpt(&all[i].text, 90),
                ]
            })
            .collect();
        text += &format!("\nQuery: *{query}*\n\n");
        text += &markdown_table(&["rank", "speaker", "cosine", "speech"], &rows);
    }
    out.write("retrieval.md", &text)
}

fn embeddings(
    out: &Output,
    play: &str,
    args: &Args,
) -> std::io::Result<WordVectors> {
    let sentences = word_sentences(play);
    let raw: usize = sentences.iter().map(Vec::len).sum();
    let config = word2vec_config(args.epochs, args.threads);
    let (vectors, report) = Word2Vec::train_with_report(&sentences, &config, |e| {
        println!(
            "[11-text]   epoch {}: {:.0} words/s, learning rate now {:.5}",
            e.epoch + 1,
            e.words_per_second(),
            e.alpha
        )
    });
    let mut text = format!(
        "{} lines, {raw} words, {} distinct words seen at least 5 times; skip-gram, 100 dimensions, \
         window 5, 5 negatives, {} epochs on {} thread(s): {:.1} s, {:.0} words/s (words kept by \
         subsampling, as gensim counts them).\n",
        sentences.len(),
        report.vocab_size,
        args.epochs,
        args.threads,
        report.seconds(),
        report.words_per_second()
    );
    text += "\n";
    out.write("w2v-run.md", &text)?;

    let mut rows = Vec::new();
    for word in
        ["king", "queen", "love", "death", "rome", "father", "sword", "night"]
    {
        if !vectors.contains(word) {
            continue;
        }
        let near: Vec<String> = vectors
            .most_similar(word, 8)
            .iter()
            .map(|(w, s)| format!("{w} ({s:.2})"))
            .collect();
        rows.push(vec![format!("**{word}**"), near.join(", ")]);
    }
    out.write(
        "neighbours.md",
        &markdown_table(&["word", "nearest words (cosine)"], &rows),
    )?;
    Ok(vectors)
}

fn analogies(out: &Output, vectors: &WordVectors) -> std::io::Result<()> {
    let mut rows = Vec::new();
    for (a, b, c, expected) in [
        ("man", "king", "woman", "queen"),
        ("he", "his", "she", "her"),
        ("father", "son", "mother", "daughter"),
        ("brother", "sister", "uncle", "aunt"),
        ("rome", "romans", "england", "english"),
    ] {
        if ![a, b, c, expected].iter().all(|w| vectors.contains(w)) {
            continue;
        }
        let top = vectors.analogy(a, b, c, 5);
        let answers: Vec<String> =
            top.iter().map(|(w, s)| format!("{w} ({s:.2})")).collect();
        let rank = vectors
            .analogy(a, b, c, vectors.len())
            .iter()
            .position(|(w, _)| w == expected)
            .map_or("–".to_string(), |r| (r + 1).to_string());
        rows.push(vec![
            format!("{a} : {b} :: {c} : ?"),
            answers.join(", "),
            expected.to_string(),
            rank,
        ]);
    }
    let table = markdown_table(
        &["question", "top 5 (cosine)", "expected", "its rank"],
        &rows,
    );
    out.write("analogy.md", &table)
}

fn map(out: &Output, vectors: &WordVectors) -> std::io::Result<()> {
    // The most frequent words (the vocabulary is sorted by count) that are not stop
    // words.
    let chosen: Vec<&str> = vectors
        .words()
        .iter()
        .map(String::as_str)
        .filter(|w| w.len() > 2 && !STOP_WORDS_EN.contains(w))
        .take(50)
        .collect();
    let points = vectors.project_2d(&chosen);
    let path = out.dir().join("embedding-2d.png");
    let options = PlotOptions::sized(900, 700)
        .title("Word vectors of Tiny Shakespeare, first two principal components");
    scatter_labeled(&points, &chosen, &path, &options)
        .map_err(std::io::Error::other)?;
    println!("[11-text]   wrote book/src/generated/11-text/embedding-2d.png");
    Ok(())
}

fn speed(out: &Output, play: &str) -> std::io::Result<()> {
    let sentences = word_sentences(play);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut rows = Vec::new();
    for architecture in [Architecture::SkipGram, Architecture::Cbow] {
        for threads in if cores > 1 { vec![1, cores] } else { vec![1] } {
            let config = kindling_sequence::word2vec::Word2VecConfig {
                architecture,
                ..word2vec_config(5, threads)
            };
            // The median of three runs: the machine may be busy with other work.
            let mut runs: Vec<(f64, f64)> = (0..3)
                .map(|_| {
                    let (_, report) =
                        Word2Vec::train_with_report(&sentences, &config, |_| {});
                    (report.seconds(), report.words_per_second())
                })
                .collect();
            runs.sort_by(|a, b| a.0.total_cmp(&b.0));
            let (seconds, rate) = runs[1];
            let name = if architecture == Architecture::SkipGram {
                "skip-gram"
            } else {
                "CBOW"
            };
            out.step(&format!(
                "  {name}, {threads} thread(s): {seconds:.2} s, {rate:.0} words/s"
            ));
            rows.push(vec![
                name.to_string(),
                threads.to_string(),
                format!("{seconds:.2}"),
                format!("{:.2} M", rate / 1e6),
            ]);
        }
    }
    let mut text = markdown_table(
        &["architecture", "threads", "seconds (5 epochs)", "words/s"],
        &rows,
    );
    text += "\nMedian of 3 runs each; words/s counts the words kept by subsampling, as gensim does.\n";
    out.write("w2v-speed.md", &text)
}
