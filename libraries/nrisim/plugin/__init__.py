"""Plugin models: the Weka NRI CPUSet plugin as the simulated runtime sees it."""
