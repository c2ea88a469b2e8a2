"""Model serving: replicas, fetching models, and the rules that route and scale them."""
