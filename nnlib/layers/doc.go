// Package layers holds the trainable building blocks of Parley's models:
// structs that own named parameters in an nnlib.ParamSet and add their
// computation to an nnlib.Graph.
//
// Conventions: sequences are time-major (S, B, D); lengths are (B) nodes
// of float-encoded integers; parameter names are the layer's name plus a
// suffix ("enc.l0.fwd.wh"). Construction (New…) creates the parameters,
// seeded by the ParamSet; Fwd adds the layer to a graph and may be called
// on any number of graphs (training, encoder, one-step decoder), which
// all share the same weights.
package layers
