"""randomization package."""
