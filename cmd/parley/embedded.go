package main

import (
	"github.com/parley-ai/parley/nlu"
	"github.com/parley-ai/parley/nlu/models"
)

// defaultNLUModel returns the NLU model embedded in the binary (SNIPS).
func defaultNLUModel() (*nlu.Model, error) { return models.SNIPS() }
