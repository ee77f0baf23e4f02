"""gridscreen: city-wide mass screening campaigns."""
