// The test model with a batch of 2: row slabs of more than one batch item
// (XNNPACK set up item by item), transforms over N·rows, broadcast over the batch.
#define CODL_TEST_BATCH 2
#include "model.cc"
