//! Column structs: a `#[repr(C)]` struct of `T` per chip, read from a trace row by
//! [`Borrow`](std::borrow::Borrow). Widths come from `size_of::<Cols<u8>>()`, never from
//! hand-counted indices.

/// Implements `Borrow<$cols<T>>` and `BorrowMut<$cols<T>>` for `[T]`, and a `WIDTH`.
macro_rules! columns {
    ($cols:ident) => {
        impl<T> ::std::borrow::Borrow<$cols<T>> for [T] {
            fn borrow(&self) -> &$cols<T> {
                assert_eq!(self.len(), ::std::mem::size_of::<$cols<u8>>());
                // SAFETY: `$cols<T>` is `#[repr(C)]` and holds only `T`s, so it has the
                // size and alignment of `[T; N]` for its width `N`, which the slice has.
                unsafe { &*(self.as_ptr() as *const $cols<T>) }
            }
        }
        impl<T> ::std::borrow::BorrowMut<$cols<T>> for [T] {
            fn borrow_mut(&mut self) -> &mut $cols<T> {
                assert_eq!(self.len(), ::std::mem::size_of::<$cols<u8>>());
                // SAFETY: as for `borrow`.
                unsafe { &mut *(self.as_mut_ptr() as *mut $cols<T>) }
            }
        }
        impl<T> $cols<T> {
            /// Columns of the struct.
            pub const WIDTH: usize = ::std::mem::size_of::<$cols<u8>>();
        }
    };
}
pub(crate) use columns;
