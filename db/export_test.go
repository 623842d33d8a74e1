package db

// AppendTime is appendTime, for the external tests.
var AppendTime = appendTime
