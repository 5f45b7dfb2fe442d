package app

// OfferKeyForTest is the key offer codes are derived under, so that tests
// can verify a code as the operator's systems would.
func (s *Service) OfferKeyForTest() []byte { return s.offerKey() }
