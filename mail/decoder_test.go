package mail

import "mime"

var wordDecoder mime.WordDecoder
