//! Support vector machines trained by SMO.
