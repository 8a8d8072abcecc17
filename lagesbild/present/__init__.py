"""Present: protected tables become charts, maps, display tables and files (PNG, SVG, Excel,
CSV). Nothing here computes a count: it takes what ``release`` has protected."""
