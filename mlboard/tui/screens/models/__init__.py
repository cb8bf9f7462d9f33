"""Models: registered versions and the stories behind them."""
