"""DeepRacer simulation assets and the geometry shared by simulator and agent."""
