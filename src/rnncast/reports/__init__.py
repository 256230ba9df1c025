"""What a person reads: terminal tables, plots and HTML pages."""
