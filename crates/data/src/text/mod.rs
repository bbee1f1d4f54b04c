//! Text: corpora, normalisation, word tokens, vocabularies and subword tokenizers.
//!
//! A text pipeline runs in named stages, each usable (and testable) alone:
//!
//! 1. **Normalise** ([`normalize()`]): case, Unicode form, accents, punctuation, digits, spaces.
//! 2. **Pre-tokenise** ([`words`], [`gpt2_pretokenize`]): cut the text into word-sized pieces.
//! 3. **Model**: map pieces to ids, with a word [`Vocab`] (special tokens, frequency cut-offs)
//!    or a subword tokenizer: byte-level BPE ([`ByteBpe`], GPT-2 style) or [`WordPiece`]
//!    (BERT style). [`HfTokenizer`] runs a `tokenizer.json` of Hugging Face `tokenizers`.
//! 4. **Features** ([`tfidf`]): bag of words and TF-IDF matrices as scikit-learn computes them
//!    ([`CountVectorizer`], [`TfidfVectorizer`]), with [`cosine_similarity`] and [`nearest`]
//!    rows for retrieval.
//!
//! ```
//! use kindling_data::text::{normalize, words, Normalize, Vocab};
//!
//! let text = normalize("The CAFÉ’s   coffee is great!", &Normalize { strip_accents: true, ..Normalize::default() });
//! assert_eq!(text, "the cafe’s coffee is great!");
//! let tokens = words(&text);
//! assert_eq!(tokens, ["the", "cafe’s", "coffee", "is", "great", "!"]);
//! let vocab = Vocab::builder().build(&tokens);
//! assert_eq!(vocab.decode(&vocab.encode(&["coffee", "tea"])), ["coffee", "<unk>"]);
//! ```
//!
//! Also here: plain-text corpora ([`read_text`]) and the character vocabulary of the
//! character-level language models ([`CharVocab`]).

pub mod bpe;
mod corpus;
mod hf_tokenizer;
pub mod normalize;
pub mod pretokenize;
pub mod speakers;
pub mod tfidf;
pub mod tokenize;
pub mod vocab;
pub mod wordpiece;

pub use bpe::{BpeTrainOptions, ByteBpe};
pub use corpus::{read_text, CharVocab};
pub(crate) use corpus::{strip_bom, write_text_atomic};
pub use hf_tokenizer::HfTokenizer;
pub use normalize::{normalize, Digits, Normalize, Punctuation, UnicodeForm};
pub use pretokenize::gpt2_pretokenize;
pub use speakers::{speaker_passages, SpeakerPassages};
pub use tfidf::{
    cosine_similarity, nearest, CountOptions, CountVectorizer, DocFrequency, Norm, TfidfOptions, TfidfVectorizer,
    VocabularyOrder,
};
pub use tokenize::{is_stop_word, ngram_range, ngrams, remove_stop_words, words, STOP_WORDS_EN};
pub use vocab::{Vocab, VocabBuilder, BOS, EOS, PAD, UNK};
pub use wordpiece::{WordPiece, WordPieceScore, WordPieceTrainOptions};
