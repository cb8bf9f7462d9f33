"""Planning: backlog and sprint side by side, capacity, forecast, charts."""
