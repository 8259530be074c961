"""Everything that pretends to be hardware or cloud, so the product can be tested without either."""
