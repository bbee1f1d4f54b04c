//! WordPiece.
/// x
pub struct WordPiece;
/// x
pub struct WordPieceTrainOptions;
