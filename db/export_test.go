package db

// AppendTime is appendTime, for the external tests.
var AppendTime = appendTime

// TimestamptzRecv is timestamptzRecv, for the external tests.
var TimestamptzRecv = timestamptzRecv
