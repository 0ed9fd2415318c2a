"""Tables, plots and files made from the results store."""
