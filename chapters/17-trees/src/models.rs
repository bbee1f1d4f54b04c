//! Fits of the library estimators that the chapter includes (filled in as they land).
