"""digitsum: predict the sum of four handwritten digits, built on minigrad."""
