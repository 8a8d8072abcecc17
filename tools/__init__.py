"""Tools beside the product: the synthetic demo generator and the postnummer shape builder.

Started by ``python -m lagesbild demo`` and ``build-shapes``; nothing in the app imports them."""
