package sim

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"time"
)

// chatCompletion is an OpenAI-style chat completion: the success body of
// the chat APIs (Mira, MiMo).
type chatCompletion struct {
	ID      string       `json:"id"`
	Object  string       `json:"object"`
	Created int64        `json:"created"`
	Model   string       `json:"model"`
	Choices []chatChoice `json:"choices"`
	Usage   chatUsage    `json:"usage"`
}

type chatChoice struct {
	Index        int         `json:"index"`
	Message      chatMessage `json:"message"`
	FinishReason string      `json:"finish_reason"`
}

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type chatUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// chatRequest is what a chat completion answers: the model, the number of
// messages and their texts.
type chatRequest struct {
	model    string
	messages int
	texts    []string
}

// answerChat answers a valid chat request, for the chat APIs. The id is a
// function of the seed and n, the completion's number since the start or
// last reset; the content is a function of the seed, the salt (the API's
// name, or "" for Mira's historical answers), the model and the messages'
// texts, so that one request always gets one answer. Token counts are
// words: 1 per word of the texts plus 3 per message for the prompt, 1 per
// word of the answer, drawn from vocabulary.
func answerChat(seed int64, n uint64, salt string, req chatRequest, vocabulary []string, created time.Time) chatCompletion {
	idRNG := rand.New(rand.NewPCG(uint64(seed), n))
	id := fmt.Sprintf("chatcmpl-%016x%08x", idRNG.Uint64(), idRNG.Uint32())

	h := fnv.New64a()
	h.Write([]byte(salt))
	h.Write([]byte(req.model))
	prompt := 3 * req.messages
	for _, t := range req.texts {
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
	return chatCompletion{
		ID:      id,
		Object:  "chat.completion",
		Created: created.Unix(),
		Model:   req.model,
		Choices: []chatChoice{{
			Index:        0,
			Message:      chatMessage{Role: "assistant", Content: strings.Join(words, " ") + "."},
			FinishReason: "stop",
		}},
		Usage: chatUsage{PromptTokens: prompt, CompletionTokens: len(words), TotalTokens: prompt + len(words)},
	}
}
