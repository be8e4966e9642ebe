"""Local emulators shared by the demo and the tests."""
