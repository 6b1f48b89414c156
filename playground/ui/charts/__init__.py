"""Pure Plotly chart builders, one module per lesson page; ``base`` holds the shared layout and colours."""
