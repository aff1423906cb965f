// Package classify sorts responses into classes: status, transport failure
// kind, the API's own error code and the pattern of its message, read from
// the error body in whatever dialect the API speaks, with a category and a
// retryable flag. A Classifier keeps its classes in a bounded ClassTable;
// rules (--classify) say where an API's code is, or what a class means.
package classify
