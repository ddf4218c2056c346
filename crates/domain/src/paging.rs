//! Paged listings, shared by every feature that lists things: which page a client asks
//! for ([`Page`]) and what comes back ([`Paged`]: the items and the total, which the
//! interface sends as `X-Total-Count`).

use crate::validation::FieldError;

/// One page of a listing: 1-based number and size (1 to 100).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Page {
    number: u32,
    size: u32,
}

impl Page {
    /// The size used when none is asked for.
    pub const DEFAULT_SIZE: u32 = 20;
    /// The largest size.
    pub const MAX_SIZE: u32 = 100;

    /// Checks a page request.
    ///
    /// # Errors
    /// A [`FieldError`] for `page` (below 1) or `page_size` (outside 1 to 100).
    pub fn new(number: u32, size: u32) -> Result<Self, FieldError> {
        if number == 0 {
            return Err(FieldError::new("page", "must be at least 1"));
        }
        if size == 0 || size > Self::MAX_SIZE {
            return Err(FieldError::new("page_size", "must be between 1 and 100"));
        }
        Ok(Self { number, size })
    }

    /// A page request whose parts may be missing: page 1, [`Self::DEFAULT_SIZE`] items.
    ///
    /// # Errors
    /// As [`Page::new`].
    pub fn from_query(number: Option<u32>, size: Option<u32>) -> Result<Self, FieldError> {
        Self::new(number.unwrap_or(1), size.unwrap_or(Self::DEFAULT_SIZE))
    }

    /// The page number, from 1.
    pub fn number(self) -> u32 {
        self.number
    }

    /// Items per page.
    pub fn size(self) -> u32 {
        self.size
    }

    /// How many items come before this page.
    pub fn offset(self) -> u64 {
        u64::from(self.number - 1) * u64::from(self.size)
    }
}

impl Default for Page {
    fn default() -> Self {
        Self {
            number: 1,
            size: Self::DEFAULT_SIZE,
        }
    }
}

/// One page of items and how many match in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paged<T> {
    /// The items on this page, in the listing's order.
    pub items: Vec<T>,
    /// All matches across pages.
    pub total: u64,
}

impl<T> Paged<T> {
    /// Nothing found.
    pub fn empty() -> Self {
        Self {
            items: Vec::new(),
            total: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_checked_and_counted_from_one() {
        assert_eq!(Page::from_query(None, None), Ok(Page::default()));
        let third = Page::new(3, 10).expect("valid");
        assert_eq!(third.offset(), 20);
        assert_eq!(Page::new(0, 10).map_err(|e| e.field), Err("page"));
        for size in [0, 101] {
            assert_eq!(Page::new(1, size).map_err(|e| e.field), Err("page_size"));
        }
        assert!(Page::new(1, 100).is_ok());
        assert_eq!(
            Page::new(u32::MAX, 100).expect("valid").offset(),
            u64::from(u32::MAX - 1) * 100
        );
    }
}
