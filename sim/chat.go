package sim

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"
)

// chatAnswer is a simulated chat completion's content and token counts.
type chatAnswer struct {
	id                   string // "chatcmpl-…"
	content              string
	promptTokens, tokens int // tokens of the prompt and of the answer
}

// answerChat makes the answer to a chat request, shared by the chat APIs.
// The id is a function of the seed and n, the completion's number since
// the start or last reset; the content is a function of the seed, the salt
// (the API's name, or "" for Mira's historical answers), the model and the
// messages' texts, so that one request always gets one answer. Token
// counts are words: 1 per word of the texts plus 3 per message for the
// prompt, 1 per word of the answer, drawn from vocabulary.
func answerChat(seed int64, n uint64, salt, model string, messages int, texts, vocabulary []string) chatAnswer {
	idRNG := rand.New(rand.NewPCG(uint64(seed), n))
	id := fmt.Sprintf("chatcmpl-%016x%08x", idRNG.Uint64(), idRNG.Uint32())

	h := fnv.New64a()
	h.Write([]byte(salt))
	h.Write([]byte(model))
	prompt := 3 * messages
	for _, t := range texts {
		var l [8]byte
		binary.LittleEndian.PutUint64(l[:], uint64(len(t)))
		h.Write(l[:]) // length-prefixed, so that ["ab","c"] and ["a","bc"] differ
		h.Write([]byte(t))
		prompt += len(strings.Fields(t))
	}
	rng := rand.New(rand.NewPCG(uint64(seed), h.Sum64()))
	words := make([]string, 8+rng.IntN(17)) // 8 to 24 words
	for i := range words {
		words[i] = vocabulary[rng.IntN(len(vocabulary))]
	}
	words[0] = strings.ToUpper(words[0][:1]) + words[0][1:]
	return chatAnswer{id: id, content: strings.Join(words, " ") + ".", promptTokens: prompt, tokens: len(words)}
}
